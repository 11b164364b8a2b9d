import type { Driver } from 'neo4j-driver';

import { loadConfig, type Config } from '../src/config.js';
import { cypher, type CypherQuery } from '../src/data/cypher.js';
import { connectDriver } from '../src/data/driver.js';
import { Executor, type QueryObserver } from '../src/data/executor.js';
import { createHttpApp } from '../src/http/app.js';
import { createLogger } from '../src/logger.js';

/**
 * The service in this process, over HTTP on loopback, against NEO4J_URI (a bench store): what the probes
 * (requestCpu.ts, analyticsProbe.ts) send their requests to. `observer` is told about every statement sent.
 */
export async function startServiceInProcess(
  appName: string,
  observer?: QueryObserver,
): Promise<{
  readonly config: Config;
  readonly driver: Driver;
  readonly executor: Executor;
  readonly url: string;
  close(): Promise<void>;
}> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  if (!config.neo4j.uri) throw new Error('set NEO4J_URI to the bench store');
  const driver = await connectDriver(config.neo4j.uri, config.neo4j);
  const executor = new Executor(
    driver,
    { database: config.neo4j.database, txTimeoutMs: 60_000, appName },
    observer,
  );
  const app = await createHttpApp({
    config,
    logger: createLogger('silent'),
    executor,
    readiness: { migrationsApplied: true },
  });
  const url = await app.listen();
  return {
    config,
    driver,
    executor,
    url,
    close: async () => {
      await app.close();
      await driver.close();
    },
  };
}

/**
 * The city (or municipality) of firm `$id` when the firm has a supplier and a customer in that city — a firm whose
 * loss the benchmark can ask about there (`regionId`, no row otherwise).
 */
export function lossFirmCityQuery(id: string): CypherQuery {
  return cypher(
    `MATCH (e:Enterprise {id: $id})-[:LOCATED_IN]->(:Region)-[:PART_OF*0..]->(city:Region)
     WHERE city.level IN ['CITY', 'MUNICIPALITY']
       AND EXISTS { MATCH (:Enterprise)-[:SUPPLIES]->(e) }
       AND EXISTS { MATCH (e)-[:SUPPLIES]->(:Enterprise)-[:LOCATED_IN]->(:Region)-[:PART_OF*0..]->(city) }
     RETURN city.id AS regionId LIMIT 1`,
    { id },
  );
}
