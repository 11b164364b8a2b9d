import { readFileSync } from 'node:fs';

import neo4j, { type Session } from 'neo4j-driver';

import { loadConfig } from '../src/config.js';
import { connectDriver } from '../src/data/driver.js';
import type { CypherQuery } from '../src/data/cypher.js';
import { toBatches } from '../src/ingest/batches.js';
import {
  touchedBy,
  upsertLocatedEnterprisesQuery,
  upsertNodesQuery,
  upsertRelationshipsQuery,
} from '../src/data/upsert.js';
import { recordChangeQuery } from '../src/data/changes.js';
import { KINDS } from '../src/import/kinds.js';
import { creditCodeCheckCharacter } from '../src/import/creditCode.js';

/**
 * PROFILE of what one import batch of new enterprises sends (the statements of upsertAll for a batch of
 * IMPORT_PROFILE_ROWS rows, default 5,000), each with its db hits per operator and its time, in a transaction that
 * is rolled back; then the same batch committed and removed, to time the commit. Against NEO4J_URI (a copy of a
 * bench store). For the floor, also a bare CREATE of the same nodes and locations with nothing else.
 */
const config = loadConfig();
const uri = config.neo4j.uri;
if (!uri) throw new Error('set NEO4J_URI');
const driver = await connectDriver(uri, config.neo4j);
const size = Number(process.env['IMPORT_PROFILE_ROWS'] ?? 5000);
const rounds = Number(process.env['IMPORT_PROFILE_ROUNDS'] ?? 3);

interface Operator {
  operatorType: string;
  dbHits: number;
  rows: number;
  children: Operator[];
}
function flatten(plan: Operator, depth = 0, out: string[] = []): string[] {
  out.push(`${'  '.repeat(depth)}${plan.operatorType} rows=${plan.rows} dbHits=${plan.dbHits}`);
  for (const child of plan.children) flatten(child, depth + 1, out);
  return out;
}
function totalHits(plan: Operator): number {
  return plan.dbHits + plan.children.reduce((sum, child) => sum + totalHits(child), 0);
}

async function districts(session: Session): Promise<string[]> {
  const result = await session.run(
    `MATCH (r:Region) WHERE r.id STARTS WITH 'gen-42-r-' WITH r ORDER BY r.id RETURN collect(r.id) AS d`,
  );
  return result.records[0]!.get('d') as string[];
}

function code(index: number): string {
  const body = `92130100PF${String(index).padStart(7, '0')}`;
  return `${body}${creditCodeCheckCharacter(body)!}`;
}

function batchOf(prefix: string, regions: readonly string[], offset = 0) {
  const spec = KINDS.enterprises;
  const records = Array.from({ length: size }, (_, index) => {
    const parsed: Record<string, unknown> = {};
    const raw: Record<string, string> = {
      id: `${prefix}-${index}`,
      name: `导入剖析企业${prefix}${index}`,
      creditCode: code(index + offset),
      regionId: regions[index % regions.length]!,
      sizeBand: 'SMALL',
      highTech: index % 8 === 0 ? '是' : '否',
      leading: '否',
      source: 'ILLUSTRATIVE',
    };
    for (const column of spec.columns) {
      const cell = raw[column.key];
      if (cell === undefined || cell === '') continue;
      const value = column.parse(cell);
      if (value.ok) parsed[column.key] = value.value;
    }
    return spec.toRecords(parsed);
  });
  return toBatches(
    {
      enterprises: records.flatMap((record) => record.enterprises ?? []),
    },
    'merge',
  );
}

/**
 * CPU time (ms) Neo4j's process has used so far (NEO4J_PID), a measure the other load on the machine does not inflate;
 * NaN without NEO4J_PID, so that every figure computed from it reads "not measured" rather than a plausible 0.
 */
const neo4jPid = process.env['NEO4J_PID'];
if (!neo4jPid)
  process.stdout.write("Neo4j CPU: not measured — set NEO4J_PID to the Neo4j server's process id\n");
function neo4jCpuMs(): number {
  if (!neo4jPid) return Number.NaN;
  const fields = readFileSync(`/proc/${neo4jPid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}
/** A CPU figure in ms (or ms per row), or "not measured" (no NEO4J_PID). */
const cpuText = (ms: number, digits = 0): string =>
  Number.isNaN(ms) ? 'not measured' : `${ms.toFixed(digits)} ms`;

const session = driver.session({ database: 'neo4j' });
try {
  const regions = await districts(session);
  for (let round = 0; round < rounds; round += 1) {
    const prefix = `bench-import-profile-${Date.now()}`;
    const { nodes, relationships } = batchOf(prefix, regions);
    const statements: CypherQuery[] =
      process.env['IMPORT_PROFILE_PATH'] === 'split'
        ? [
            ...nodes.map((batch) => upsertNodesQuery(batch)),
            ...relationships.map((batch) => upsertRelationshipsQuery(batch, { sourcesLocked: true })),
            recordChangeQuery(
              touchedBy(nodes, relationships),
              relationships.flatMap((batch) => batch.rows.map((row) => row.to)),
            ),
          ]
        : [upsertLocatedEnterprisesQuery(nodes[0]!, relationships[0]!)];
    // 1. PROFILE each statement, rolled back.
    const tx = session.beginTransaction();
    for (const statement of statements) {
      const started = performance.now();
      const result = await tx.run(`PROFILE ${statement.cypher}`, statement.params);
      const ms = performance.now() - started;
      const plan = result.summary.profile as unknown as Operator;
      process.stdout.write(
        `\n[${round}] ${statement.cypher.split('\n')[0]!.slice(0, 70)}… ${ms.toFixed(0)} ms, ${totalHits(plan)} db hits\n`,
      );
      if (round === 0) process.stdout.write(`${flatten(plan).join('\n')}\n`);
    }
    await tx.rollback();
    // 2. The same statements without PROFILE, committed: time of the statements and of the commit.
    const tx2 = session.beginTransaction({ timeout: 600_000 });
    let cpu = neo4jCpuMs();
    let started = performance.now();
    for (const statement of statements) await tx2.run(statement.cypher, statement.params);
    const statementsMs = performance.now() - started;
    const statementsCpu = neo4jCpuMs() - cpu;
    cpu = neo4jCpuMs();
    started = performance.now();
    await tx2.commit();
    const commitMs = performance.now() - started;
    const commitCpu = neo4jCpuMs() - cpu;
    process.stdout.write(
      `[${round}] committed batch: statements ${statementsMs.toFixed(0)} ms, commit ${commitMs.toFixed(0)} ms → ${Math.round(size / ((statementsMs + commitMs) / 1000))} rows/s; Neo4j CPU: statements ${cpuText(statementsCpu)}, commit ${cpuText(commitCpu)} = ${cpuText((statementsCpu + commitCpu) / size, 3)}/row\n`,
    );
    // 3. The floor: a bare CREATE of the same nodes (same properties) and their locations, nothing read first.
    const prefix2 = `${prefix}-floor`;
    const floor = batchOf(prefix2, regions, size);
    const rows = floor.nodes[0]!.rows.map((row, index) => ({
      props: Object.fromEntries(Object.entries(row).filter(([, v]) => v !== undefined && v !== null)),
      region: floor.relationships[0]!.rows[index]!.to,
    }));
    const tx3 = session.beginTransaction({ timeout: 600_000 });
    cpu = neo4jCpuMs();
    started = performance.now();
    await tx3.run(
      `UNWIND $rows AS row MATCH (r:Region { id: row.region }) CREATE (e:Enterprise) SET e = row.props
       CREATE (e)-[:LOCATED_IN { source: row.props.source }]->(r)`,
      { rows },
    );
    const floorMs = performance.now() - started;
    const floorCpu = neo4jCpuMs() - cpu;
    cpu = neo4jCpuMs();
    started = performance.now();
    await tx3.commit();
    const floorCommitMs = performance.now() - started;
    const floorCommitCpu = neo4jCpuMs() - cpu;
    process.stdout.write(
      `[${round}] floor (bare CREATE): statement ${floorMs.toFixed(0)} ms, commit ${floorCommitMs.toFixed(0)} ms → ${Math.round(size / ((floorMs + floorCommitMs) / 1000))} rows/s; Neo4j CPU: statement ${cpuText(floorCpu)}, commit ${cpuText(floorCommitCpu)} = ${cpuText((floorCpu + floorCommitCpu) / size, 3)}/row\n`,
    );
    // 4. The same bare CREATE under a label no index or constraint covers: what the indexes cost.
    const tx4 = session.beginTransaction({ timeout: 600_000 });
    cpu = neo4jCpuMs();
    await tx4.run(
      `UNWIND $rows AS row MATCH (r:Region { id: row.region }) CREATE (e:ImportProbe) SET e = row.props
       CREATE (e)-[:PROBE_IN { source: row.props.source }]->(r)`,
      { rows },
    );
    const bareCpu = neo4jCpuMs() - cpu;
    cpu = neo4jCpuMs();
    await tx4.commit();
    const bareCommitCpu = neo4jCpuMs() - cpu;
    process.stdout.write(
      `[${round}] unindexed label: Neo4j CPU statement ${cpuText(bareCpu)}, commit ${cpuText(bareCommitCpu)} = ${cpuText((bareCpu + bareCommitCpu) / size, 3)}/row\n`,
    );
    await session.run(`MATCH (e:ImportProbe) DETACH DELETE e`);
    await session.run(`MATCH (e:Enterprise) WHERE e.id STARTS WITH 'bench-import-profile-' DETACH DELETE e`);
    await session.run(
      `MATCH (c:AggregateChange) WHERE any(id IN c.enterpriseIds WHERE id STARTS WITH 'bench-import-profile-') DELETE c`,
    );
  }
} finally {
  await session.close();
  await driver.close();
}
void neo4j;
