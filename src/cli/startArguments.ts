import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The Node options and entry point `npm start` runs the service with — package.json's start script,
 * `exec node <options> src/main.ts` — for the tools that start the service as a child process (the benchmark, the
 * process-level tests): the service they measure and test is the one users start, its heap settings included.
 */
export function startArguments(root: string): string[] {
  const manifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    scripts?: Record<string, string>;
  };
  const words = (manifest.scripts?.['start'] ?? '').trim().split(/\s+/);
  const node = words.indexOf('node');
  const entry = words.indexOf('src/main.ts');
  if (node === -1 || entry < node)
    throw new Error(
      `package.json's start script is not "exec node <options> src/main.ts": ${words.join(' ')}`,
    );
  return words.slice(node + 1, entry + 1);
}
