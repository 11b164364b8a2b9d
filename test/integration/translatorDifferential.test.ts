import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * A differential test of the selection-to-Cypher translator (issue 11). fast-check builds random VALID operations
 * over the schema — aliases drawn from a small pool (so one key is reused at different paths for different fields,
 * and one field appears under one alias at two paths with different arguments), named and inline fragments,
 * arguments (sources, first, depth, regionId), nesting through connections (nodes / edges.node), relations,
 * upstream / downstream reach and the analytics node projections — and runs each over HTTP on the seed graph. The
 * reference is the plainest road: for every leaf of the operation, one minimal operation with that field chain
 * alone (no aliases, no siblings, no fragments), whose answer must equal the big answer read along that path.
 *
 * TRANSLATOR_DIFF_RUNS sets the number of operations (a handful in CI, with a fixed seed).
 */

const RUNS = Number(process.env['TRANSLATOR_DIFF_RUNS'] ?? 5);
const SEED = Number(process.env['TRANSLATOR_DIFF_SEED'] ?? 20261101);

/** A field of the generated operation. `children` is empty for a scalar. */
interface FieldNode {
  readonly key: string;
  readonly field: string;
  readonly args: string;
  readonly children: readonly FieldNode[];
  /** How the field is written into its parent's selection set. */
  readonly wrap: 'plain' | 'inline' | 'named';
}

interface Operation {
  readonly root: FieldNode;
  readonly rootType: string;
}

// ---------------------------------------------------------------------------------------------------------------
// The part of the schema the generator walks: for every object type, its fields with an argument generator and the
// type they lead to (null for scalars).

type Args = fc.Arbitrary<string>;
interface FieldDef {
  readonly args: Args;
  readonly type: string | null;
}

const none: Args = fc.constant('');
const sources: Args = fc.constantFrom(
  '',
  '(sources: [PLAN])',
  '(sources: [PLAN, PUBLIC])',
  '(sources: [ILLUSTRATIVE])',
);
const first: Args = fc.integer({ min: 1, max: 3 }).map((n) => `(first: ${n})`);
const firstAndSources: Args = fc
  .tuple(
    fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined }),
    fc.constantFrom('', 'sources: [PLAN]'),
  )
  .map(([n, s]) => {
    const parts = [n === undefined ? '' : `first: ${n}`, s].filter(Boolean);
    return parts.length > 0 ? `(${parts.join(', ')})` : '';
  });
const reach: Args = fc
  .tuple(
    fc.integer({ min: 1, max: 2 }),
    fc.constantFrom('', ', regionId: "shijiazhuang"'),
    fc.constantFrom('', ', sources: [PLAN, PUBLIC]'),
  )
  .map(([depth, region, source]) => `(depth: ${depth}${region}${source})`);
const scalar = (args: Args = none): FieldDef => ({ args, type: null });
const object = (type: string, args: Args = none): FieldDef => ({ args, type });

const TYPES: Readonly<Record<string, Readonly<Record<string, FieldDef>>>> = {
  Enterprise: {
    id: scalar(),
    name: scalar(),
    nameEn: scalar(),
    sizeBand: scalar(),
    flags: object('EnterpriseFlags'),
    region: object('Region'),
    suppliers: object('SupplyLink', sources),
    customers: object('SupplyLink', sources),
    segments: object('EnterpriseSegment', sources),
    platforms: object('Platform'),
    upstream: object('EnterpriseReach', reach),
    downstream: object('EnterpriseReach', reach),
  },
  EnterpriseFlags: { highTech: scalar(), leading: scalar(), listed: scalar() },
  SupplyLink: { products: scalar(), enterprise: object('Enterprise') },
  EnterpriseSegment: { role: scalar(), mainProducts: scalar(), segment: object('ChainSegment') },
  Region: {
    id: scalar(),
    name: scalar(),
    nameEn: scalar(),
    level: scalar(),
    parent: object('Region'),
    enterprises: object('Enterprise', firstAndSources),
  },
  ChainSegment: {
    id: scalar(),
    name: scalar(),
    stage: scalar(),
    chain: object('IndustrialChain'),
    feeds: object('SegmentFlow', sources),
    enterprises: object(
      'SegmentEnterprise',
      fc
        .tuple(first, fc.constantFrom('', ', regionId: "shijiazhuang"'))
        .map(([f, r]) => `${f.slice(0, -1)}${r})`),
    ),
    upstream: object('SegmentReach', reach),
    downstream: object('SegmentReach', reach),
  },
  IndustrialChain: { id: scalar(), name: scalar() },
  SegmentFlow: { segment: object('ChainSegment') },
  SegmentEnterprise: { role: scalar(), enterprise: object('Enterprise') },
  Platform: {
    id: scalar(),
    name: scalar(),
    kind: scalar(),
    hostEnterprise: object('Enterprise'),
    region: object('Region'),
    segments: object('ChainSegment'),
  },
  EnterpriseReach: {
    segments: object('ReachedSegment'),
    enterprises: object('ReachedEnterprise', first),
  },
  SegmentReach: {
    segments: object('ReachedSegment'),
    enterprises: object('ReachedSegmentEnterprise', first),
  },
  ReachedSegment: { distance: scalar(), segment: object('ChainSegment'), path: object('ChainSegment') },
  ReachedEnterprise: {
    distance: scalar(),
    local: scalar(),
    products: scalar(),
    enterprise: object('Enterprise'),
    path: object('Enterprise'),
  },
  ReachedSegmentEnterprise: {
    distance: scalar(),
    local: scalar(),
    enterprise: object('Enterprise'),
    segment: object('ChainSegment'),
  },
  EnterpriseConnection: {
    nodes: object('Enterprise'),
    edges: object('EnterpriseEdge'),
    totalCount: scalar(),
  },
  EnterpriseEdge: { node: object('Enterprise'), cursor: scalar() },
  PlatformConnection: { nodes: object('Platform'), edges: object('PlatformEdge') },
  PlatformEdge: { node: object('Platform') },
  ChainGapReport: { gaps: object('ChainGap'), region: object('Region') },
  ChainGap: {
    status: scalar(),
    score: scalar(),
    segment: object('ChainSegment'),
    localEnterprises: object('Enterprise'),
  },
  TargetFirmReport: { recommendations: object('TargetFirm') },
  TargetFirm: { score: scalar(), enterprise: object('Enterprise'), fills: object('ChainGap') },
  LossImpact: { firmsLosingLocalSupply: object('SupplyLoss'), enterprise: object('Enterprise') },
  SupplyLoss: { products: scalar(), enterprise: object('Enterprise'), lostSuppliers: object('Enterprise') },
};

/** Roots: the root field with its arguments and type. Analytics roots are fewer, being slower. */
const ROOTS: readonly { field: string; args: Args; type: string; weight: number }[] = [
  {
    field: 'enterprises',
    args: fc
      .tuple(
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom('', ', filter: { regionId: "shijiazhuang" }', ', filter: { chainId: "ic" }'),
      )
      .map(([n, filter]) => `(first: ${n}, orderBy: { field: ID }${filter})`),
    type: 'EnterpriseConnection',
    weight: 4,
  },
  {
    field: 'platforms',
    args: fc.integer({ min: 1, max: 4 }).map((n) => `(first: ${n}, filter: { regionId: "shijiazhuang" })`),
    type: 'PlatformConnection',
    weight: 2,
  },
  {
    field: 'enterprise',
    args: fc.constantFrom('(id: "ent-shiyao")', '(id: "ent-zhongci")'),
    type: 'Enterprise',
    weight: 2,
  },
  { field: 'segment', args: fc.constant('(id: "bio-innovative-drugs")'), type: 'ChainSegment', weight: 2 },
  {
    field: 'chainGaps',
    args: fc.constantFrom(
      '(chainId: "ic", regionId: "shijiazhuang")',
      '(chainId: "biomedicine", regionId: "shijiazhuang")',
    ),
    type: 'ChainGapReport',
    weight: 1,
  },
  {
    field: 'targetFirms',
    args: fc.integer({ min: 1, max: 3 }).map((n) => `(chainId: "ic", regionId: "shijiazhuang", first: ${n})`),
    type: 'TargetFirmReport',
    weight: 1,
  },
  {
    field: 'impactOfLosing',
    args: fc.constant('(enterpriseId: "ent-zhongci", regionId: "shijiazhuang")'),
    type: 'LossImpact',
    weight: 1,
  },
];

/** A small pool of aliases, so the same key lands on different fields at different paths. */
const KEYS = ['a', 'b', 's', 'x', 'node', 'id', 'name', 'enterprise'];

function selectionArbitrary(type: string, depth: number): fc.Arbitrary<FieldNode[]> {
  const fields = TYPES[type]!;
  const scalars = Object.keys(fields).filter((name) => fields[name]!.type === null);
  // Below the depth budget only scalars, unless the type has none (a reach or a report: one more level then).
  const names = depth > 0 || scalars.length === 0 ? Object.keys(fields) : scalars;
  const one: fc.Arbitrary<Omit<FieldNode, 'key'> & { alias: string | null }> = fc
    .constantFrom(...names)
    .chain((name) => {
      const def = fields[name]!;
      return fc.record({
        field: fc.constant(name),
        args: def.args,
        children: def.type === null ? fc.constant([]) : selectionArbitrary(def.type, depth - 1),
        alias: fc.option(fc.constantFrom(...KEYS), { freq: 2, nil: null }),
        wrap: fc.constantFrom<FieldNode['wrap']>('plain', 'plain', 'inline', 'named'),
      });
    });
  // Unique response keys per level keep the operation valid (one key, one field and arguments, at one path).
  return fc
    .uniqueArray(one, { minLength: 1, maxLength: 3, selector: (item) => item.alias ?? item.field })
    .map((items) => items.map(({ alias, ...rest }) => ({ ...rest, key: alias ?? rest.field })));
}

const operationArbitrary: fc.Arbitrary<Operation> = fc
  .oneof(...ROOTS.map((root) => ({ arbitrary: fc.constant(root), weight: root.weight })))
  .chain((root) =>
    fc.record({
      rootType: fc.constant(root.type),
      root: fc.record({
        key: fc.constantFrom(root.field, 'r'),
        field: fc.constant(root.field),
        args: root.args,
        children: selectionArbitrary(root.type, 3),
        wrap: fc.constant<FieldNode['wrap']>('plain'),
      }),
    }),
  );

// ---------------------------------------------------------------------------------------------------------------
// Printing.

function typeOfChild(parentType: string, node: FieldNode): string | null {
  return TYPES[parentType]![node.field]!.type;
}

function printOperation(operation: Operation): string {
  const fragments: string[] = [];
  const printSelection = (type: string, children: readonly FieldNode[]): string => {
    const printed = (node: FieldNode) => {
      const alias = node.key === node.field ? '' : `${node.key}: `;
      const childType = typeOfChild(type, node);
      const body = childType === null ? '' : ` { ${printSelection(childType, node.children)} }`;
      return `${alias}${node.field}${node.args}${body}`;
    };
    const plain = children.filter((node) => node.wrap === 'plain').map(printed);
    const inline = children.filter((node) => node.wrap === 'inline').map(printed);
    const named = children.filter((node) => node.wrap === 'named').map(printed);
    const parts = [...plain];
    if (inline.length > 0) parts.push(`... on ${type} { ${inline.join(' ')} }`);
    if (named.length > 0) {
      const name = `F${fragments.length}`;
      fragments.push(''); // reserve the index before nested fragments take theirs
      fragments[Number(name.slice(1))] = `fragment ${name} on ${type} { ${named.join(' ')} }`;
      parts.push(`...${name}`);
    }
    return parts.join(' ');
  };
  const { root } = operation;
  const alias = root.key === root.field ? '' : `${root.key}: `;
  const body = `query Generated { ${alias}${root.field}${root.args} { ${printSelection(operation.rootType, root.children)} } }`;
  return [body, ...fragments].join('\n');
}

/** Every root-to-leaf chain of fields. */
function leaves(nodes: readonly FieldNode[], above: readonly FieldNode[] = []): FieldNode[][] {
  return nodes.flatMap((node) =>
    node.children.length === 0 ? [[...above, node]] : leaves(node.children, [...above, node]),
  );
}

/** The one-field operation along a chain: field names, arguments, nothing else. */
function referenceOperation(chain: readonly FieldNode[]): string {
  let text = '';
  for (let index = chain.length - 1; index >= 0; index -= 1) {
    const node = chain[index]!;
    text = `${node.field}${node.args}${text === '' ? '' : ` { ${text} }`}`;
  }
  return `query Reference { ${text} }`;
}

/** The value of an answer along a path of keys, mapping over lists. */
function along(value: unknown, keys: readonly string[]): unknown {
  if (keys.length === 0 || value === null || value === undefined) return value ?? null;
  if (Array.isArray(value)) return value.map((item) => along(item, keys));
  return along((value as Record<string, unknown>)[keys[0]!], keys.slice(1));
}

describe('the translator against a plain reference, on random operations', () => {
  let database: TestDatabase;
  let server: TestServer;
  const references = new Map<string, unknown>();
  let leafCount = 0;

  beforeAll(async () => {
    database = await openTestDatabase();
    // The shape limits and the row budget are not what this test is about: lifted, so every generated operation
    // runs (the seed graph is small, so the real answers stay small).
    server = await serveTestApp(database.executor, {
      MAX_RESPONSE_ROWS: '1000000000',
      MAX_QUERY_COST: '10000000',
      MAX_QUERY_ALIASES: '1000',
      MAX_QUERY_DEPTH: '50',
      MAX_QUERY_TOKENS: '100000',
    });
  });
  afterAll(async () => {
    await server.close();
    await database.close();
  });

  async function run(query: string): Promise<Record<string, unknown>> {
    const response = await postGraphQL<Record<string, unknown>>(server.url, { query });
    expect(response.body.errors, `${query}\n${JSON.stringify(response.body.errors)}`).toBeUndefined();
    return response.body.data!;
  }

  it(`answers every leaf of ${RUNS} random operations like its one-field reference`, async () => {
    await fc.assert(
      fc.asyncProperty(operationArbitrary, async (operation) => {
        const query = printOperation(operation);
        const answer = await run(query);
        for (const chain of leaves([operation.root])) {
          const reference = referenceOperation(chain);
          if (!references.has(reference)) {
            references.set(reference, (await run(reference))[operation.root.field]);
          }
          const expected = along(
            references.get(reference),
            chain.slice(1).map((node) => node.field),
          );
          const actual = along(
            answer[operation.root.key],
            chain.slice(1).map((node) => node.key),
          );
          expect(
            actual,
            `${query}\nleaf ${chain.map((node) => node.key).join('.')} vs\n${reference}`,
          ).toEqual(expected);
          leafCount += 1;
        }
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    );
    console.info(`translator differential: ${RUNS} operations, ${leafCount} leaves compared`);
  }, 600_000);
});
