import { execFileSync } from 'node:child_process';

import { LAUNCHER_MAIN_CLASS } from '../../src/neo4j/localNeo4j.js';

/** Pids of local-Neo4j launcher JVMs on the given store: only that run's, never another test run's. */
export function launcherPids(storeDir: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', `${LAUNCHER_MAIN_CLASS} --home ${storeDir}`], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when nothing matches
  }
}
