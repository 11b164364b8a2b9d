import neo4j from 'neo4j-driver';
const d = neo4j.driver('bolt://127.0.0.1:7687');
const q = process.argv[2];
const { records } = await d.executeQuery(q);
for (const r of records)
  console.log(
    JSON.stringify(r.toObject(), (k, v) =>
      typeof v === 'object' && v && 'low' in v && 'high' in v ? v.low : v,
    ),
  );
await d.close();
