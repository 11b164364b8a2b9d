import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The layer fence in eslint.config.js, run through ESLint's own API with the project's config: an upward import is an
 * error naming the layer rule, a downward or sideways-legal one is not. The snippets are linted as if they lived at the
 * given path (the files need not exist, and several do not), so the rule is tested exactly as `npx eslint .` applies it.
 */
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let eslint: ESLint;

beforeAll(() => {
  // Only the fence's rule is reported, so the snippets need not satisfy the rest of the configuration. The fence is a
  // syntactic rule, so type information is switched off: the project service only knows files that exist on disk.
  eslint = new ESLint({
    cwd: ROOT,
    overrideConfig: tseslint.configs.disableTypeChecked,
    ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  });
});

async function fenceErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, filePath) });
  if (!result) throw new Error(`ESLint returned no result for ${filePath}`);
  return result.messages.map((message) => `${message.ruleId ?? 'parse'}: ${message.message}`);
}

describe('layer fence (no-restricted-imports in eslint.config.js)', () => {
  it('rejects an upward import from src/data/ into src/graphql/', async () => {
    const errors = await fenceErrors(
      'src/data/graph/fenceProbe.ts',
      "import type { GraphQLContext } from '../../graphql/context.js';\nexport type Probe = GraphQLContext;\n",
    );
    expect(errors).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*src\/data\/ is the bottom layer/),
    ]);
  });

  it.each([
    ['src/data/fenceProbe.ts', "export { AggregateRefresher } from '../analytics/refresher.js';\n"],
    ['src/data/fenceProbe.ts', "export { importSources } from '../ingest/index.js';\n"],
    ['src/data/fenceProbe.ts', "export { openDatabase } from '../service.js';\n"],
    ['src/analytics/fenceProbe.ts', "export { createApolloServer } from '../graphql/apollo.js';\n"],
    ['src/ingest/fenceProbe.ts', "export { createHttpApp } from '../http/app.js';\n"],
    ['src/ingest/fenceProbe.ts', "export { AggregateRefresher } from '../analytics/refresher.js';\n"],
    ['src/graphql/resolvers/fenceProbe.ts', "export { createHttpApp } from '../../http/app.js';\n"],
    ['src/http/fenceProbe.ts', "export { openDatabase } from '../service.js';\n"],
    ['src/errors.ts', "export { cypher } from './data/cypher.js';\n"],
  ])('rejects the upward import in %s: %s', async (filePath, code) => {
    const errors = await fenceErrors(filePath, code);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^no-restricted-imports: /);
  });

  it.each([
    [
      'src/data/graph/fenceProbe.ts',
      "export { cypher } from '../cypher.js';\nexport { ErrorCode } from '../../errors.js';\n",
    ],
    ['src/analytics/fenceProbe.ts', "export { Executor } from '../data/executor.js';\n"],
    ['src/ingest/fenceProbe.ts', "export { upsertAll } from '../data/upsert.js';\n"],
    [
      'src/graphql/resolvers/fenceProbe.ts',
      "export { AggregateRefresher } from '../../analytics/refresher.js';\n",
    ],
    ['src/http/fenceProbe.ts', "export { createApolloServer } from '../graphql/apollo.js';\n"],
    ['src/service.ts', "export { createHttpApp } from './http/app.js';\n"],
  ])('accepts the downward import in %s', async (filePath, code) => {
    expect(await fenceErrors(filePath, code)).toEqual([]);
  });
});
