import fc from 'fast-check';

import { cypher } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import { NodeLabel as L, RelationshipType as T } from '../../src/data/model.js';
import { upsertAll, type NodeBatch, type Properties, type RelationshipBatch } from '../../src/data/upsert.js';
import { createTestGraph } from './graphBuilder.js';
import { postGraphQL } from './http.js';

/**
 * Random graphs and random write sequences for the analytics differential test (issue 12). A case is plain data with
 * local ids (`f3`, `c0-s1`, `g0-1`), so a shrunk counterexample reads as a story: this structure, then these
 * imports and batches, then these questions. The runner prefixes every id with the run's own prefix.
 *
 * What the write paths can express today: create and update (flags, size band, provenance, role, products),
 * move a firm or a platform to another region (LOCATED_IN is exclusive), re-host a platform (HOSTED_BY is
 * exclusive), and change a relationship's provenance. What none can: delete a node or a relationship — no mutation,
 * import kind or upsert removes anything but the old end of an exclusive relationship. "Removal" is therefore
 * exercised as a move, a flag set to false, or a provenance the question's `sources` leave out.
 */

export const SOURCES = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'] as const;
export type Source = (typeof SOURCES)[number];
const STAGES = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'] as const;
const SIZE_BANDS = ['LARGE', 'MEDIUM', 'SMALL', 'MICRO'] as const;
const ROLES = ['CORE', 'SUPPLIER', 'SERVICE'] as const;

export interface RegionSpec {
  readonly id: string;
  /** A local id, or null for a root; a root with `underPriority` hangs under the file's priority region. */
  readonly parent: string | null;
  readonly underPriority: boolean;
  readonly lat?: number;
  readonly lon?: number;
}

export interface SegmentSpec {
  readonly id: string;
  readonly chain: string;
  readonly stage: (typeof STAGES)[number];
  /** The broader segment (SUBSEGMENT_OF), always an earlier segment of the same chain. */
  readonly parent?: string;
  readonly source: Source;
}

export interface Structure {
  readonly regions: readonly RegionSpec[];
  readonly chains: readonly { id: string; measure: boolean }[];
  readonly segments: readonly SegmentSpec[];
  /** Supply-flow links between segments, across chains too, each with its provenance. */
  readonly feeds: readonly { from: string; to: string; source: Source }[];
}

export interface FirmRow {
  readonly id: string;
  readonly region: string;
  readonly sizeBand: (typeof SIZE_BANDS)[number];
  /** Undefined: the column is left empty, so an update keeps the stored value (a new firm gets false). */
  readonly leading?: boolean;
  readonly highTech?: boolean;
  readonly source: Source;
}

export interface LinkRow {
  readonly enterprise: string;
  readonly segment: string;
  readonly role: (typeof ROLES)[number];
  readonly source: Source;
}

export interface SupplyRow {
  readonly supplier: string;
  readonly customer: string;
  readonly products?: readonly string[];
  readonly source: Source;
}

export interface PlatformRow {
  readonly id: string;
  readonly region: string;
  readonly host?: string;
  readonly segments: readonly string[];
  readonly source: Source;
}

/** One write through a real write path: the `importRecords` mutation over HTTP, or an `upsertAll` batch. */
export type Write =
  | {
      readonly via: 'import';
      readonly format: 'CSV' | 'JSON';
      readonly kind: 'ENTERPRISES';
      readonly rows: FirmRow[];
    }
  | {
      readonly via: 'import';
      readonly format: 'CSV' | 'JSON';
      readonly kind: 'SEGMENT_LINKS';
      readonly rows: LinkRow[];
    }
  | {
      readonly via: 'import';
      readonly format: 'CSV' | 'JSON';
      readonly kind: 'SUPPLIES';
      readonly rows: SupplyRow[];
    }
  | {
      readonly via: 'import';
      readonly format: 'CSV' | 'JSON';
      readonly kind: 'PLATFORMS';
      readonly rows: PlatformRow[];
    }
  | {
      readonly via: 'upsertAll';
      /** Whole firms (replace mode, as the seed loader writes), each with an exclusive LOCATED_IN of `located` source. */
      readonly firms: (Required<FirmRow> & { located: Source })[];
      /** Replace mode: the relationship's properties become exactly these. */
      readonly links: LinkRow[];
      readonly supplies: SupplyRow[];
      readonly supports: { platform: string; segment: string; source: Source }[];
      /** Provenance changes of segments (merge mode) and new or re-sourced FEEDS links. */
      readonly segmentSources: { id: string; source: Source }[];
      readonly feeds: { from: string; to: string; source: Source }[];
    };

export interface Thresholds {
  readonly minEnterprises: number;
  readonly minLeading: number;
  readonly minPlatforms: number;
  readonly maxOutsideSupplyShare: number;
}

export interface Weights {
  readonly fit: number;
  readonly capability: number;
  readonly linkage: number;
  readonly proximity: number;
  readonly breadth: number;
}

/** The questions asked at one checkpoint, with local ids; null arguments are left out of the request. */
export interface Questions {
  readonly chain: string;
  readonly leaf: string;
  readonly compared: readonly string[];
  readonly sources: readonly Source[] | null;
  readonly thresholds: Thresholds | null;
  readonly target: {
    readonly chain: string | null;
    readonly segment: string | null;
    readonly region: string;
    readonly first: number | null;
    readonly weights: Weights | null;
  };
  readonly lossOfFirm: { readonly enterprise: string; readonly region: string } | null;
  readonly lossOfSegment: { readonly segment: string; readonly region: string };
}

export interface DifferentialCase {
  readonly structure: Structure;
  readonly writes: readonly Write[];
  /** After which write (its index) each set of questions is asked. */
  readonly checkpoints: readonly { readonly after: number; readonly questions: Questions }[];
}

// ---------------------------------------------------------------------------------------------------------------
// Arbitraries

const sourceArb = fc.constantFrom(...SOURCES);
const coordinate = (min: number, max: number) =>
  fc.option(
    fc.integer({ min: min * 10, max: max * 10 }).map((value) => value / 10),
    { freq: 3 },
  );

const regionsArb = fc
  .tuple(
    // Root g0 (the region asked about as "the root") and a second tree g1, the outside world of g0.
    fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 3 }),
    fc.array(fc.integer({ min: 0, max: 1 }), { minLength: 0, maxLength: 2 }),
    fc.boolean(),
    fc.boolean(),
    fc.array(fc.tuple(coordinate(30, 42), coordinate(105, 122)), { minLength: 16, maxLength: 16 }),
  )
  .map(([children0, children1, prio0, prio1, coordinates]): RegionSpec[] => {
    const regions: RegionSpec[] = [];
    const add = (id: string, parent: string | null, underPriority: boolean) => {
      const [lat, lon] = coordinates[regions.length % coordinates.length]!;
      regions.push({
        id,
        parent,
        underPriority,
        ...(lat !== null && lon !== null ? { lat, lon } : {}),
      });
    };
    [children0, children1].forEach((children, root) => {
      add(`g${root}`, null, root === 0 ? prio0 : prio1);
      children.forEach((grandchildren, child) => {
        add(`g${root}-${child}`, `g${root}`, false);
        for (let grandchild = 0; grandchild < grandchildren; grandchild += 1)
          add(`g${root}-${child}-${grandchild}`, `g${root}-${child}`, false);
      });
    });
    return regions;
  });

const structureArb: fc.Arbitrary<Structure> = fc
  .record({
    regions: regionsArb,
    chains: fc.array(
      fc.record({
        measure: fc.boolean(),
        segments: fc.array(
          fc.record({ stage: fc.constantFrom(...STAGES), parent: fc.option(fc.nat()), source: sourceArb }),
          { minLength: 2, maxLength: 5 },
        ),
      }),
      { minLength: 1, maxLength: 2 },
    ),
    feeds: fc.array(fc.record({ from: fc.nat(), to: fc.nat(), source: sourceArb }), { maxLength: 10 }),
  })
  .map(({ regions, chains, feeds }) => {
    const segments: SegmentSpec[] = chains.flatMap((chain, c) =>
      chain.segments.map((segment, s) => ({
        id: `c${c}-s${s}`,
        chain: `c${c}`,
        stage: segment.stage,
        ...(segment.parent !== null && s > 0 ? { parent: `c${c}-s${segment.parent % s}` } : {}),
        source: segment.source,
      })),
    );
    const links = new Map<string, { from: string; to: string; source: Source }>();
    for (const feed of feeds) {
      const from = segments[feed.from % segments.length]!.id;
      const to = segments[feed.to % segments.length]!.id;
      if (from !== to) links.set(`${from}>${to}`, { from, to, source: feed.source });
    }
    return {
      regions,
      chains: chains.map((chain, c) => ({ id: `c${c}`, measure: chain.measure })),
      segments,
      feeds: [...links.values()],
    };
  });

/** One raw item of a write; each write kind reads the fields it needs, references resolved modulo what exists. */
const itemArb = fc.record({
  fresh: fc.boolean(),
  pick: fc.nat(),
  other: fc.nat(),
  region: fc.nat(),
  size: fc.constantFrom(...SIZE_BANDS),
  leading: fc.option(fc.boolean()),
  highTech: fc.option(fc.boolean()),
  source: sourceArb,
  located: sourceArb,
  role: fc.constantFrom(...ROLES),
  products: fc.option(fc.array(fc.constantFrom('chips', 'wafers', 'cells', 'kits'), { maxLength: 2 })),
  extra: fc.option(fc.nat()),
});
type Item = typeof itemArb extends fc.Arbitrary<infer I> ? I : never;

const rawWriteArb = fc.record({
  kind: fc.constantFrom('ENTERPRISES', 'SEGMENT_LINKS', 'SUPPLIES', 'PLATFORMS', 'UPSERT'),
  format: fc.constantFrom('CSV' as const, 'JSON' as const),
  items: fc.array(itemArb, { minLength: 1, maxLength: 6 }),
});
type RawWrite = typeof rawWriteArb extends fc.Arbitrary<infer W> ? W : never;

const thresholdsArb: fc.Arbitrary<Thresholds | null> = fc.option(
  fc.record({
    minEnterprises: fc.integer({ min: 0, max: 4 }),
    minLeading: fc.integer({ min: 0, max: 2 }),
    minPlatforms: fc.integer({ min: 0, max: 2 }),
    maxOutsideSupplyShare: fc.oneof(
      fc.constantFrom(0, 0.25, 0.5, 1),
      fc.double({ min: 0, max: 1, noNaN: true }),
    ),
  }),
  { freq: 2 },
);

const weightArb = fc.oneof(fc.constantFrom(0, 0.15, 0.3, 1, 5), fc.double({ min: 0, max: 10, noNaN: true }));
const weightsArb: fc.Arbitrary<Weights | null> = fc.option(
  fc
    .record({
      fit: weightArb,
      capability: weightArb,
      linkage: weightArb,
      proximity: weightArb,
      breadth: weightArb,
    })
    .map(
      // At least one weight above 0 (the API refuses all zeros; not what this test is about).
      (weights) => (Object.values(weights).some((value) => value > 0) ? weights : { ...weights, fit: 1 }),
    ),
  { freq: 2 },
);

const rawQuestionsArb = fc.record({
  chain: fc.nat(),
  leaf: fc.nat(),
  compared: fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
  sources: fc.option(fc.subarray([...SOURCES], { minLength: 1 }), { freq: 2 }),
  thresholds: thresholdsArb,
  bySegment: fc.boolean(),
  targetSegment: fc.nat(),
  targetRegion: fc.nat(),
  first: fc.option(fc.integer({ min: 1, max: 6 })),
  weights: weightsArb,
  lossFirm: fc.nat(),
  lossFirmRegion: fc.nat(),
  lossSegment: fc.nat(),
  lossSegmentRegion: fc.nat(),
});
type RawQuestions = typeof rawQuestionsArb extends fc.Arbitrary<infer Q> ? Q : never;

/**
 * A random case: a structure, then an opening (firms, their segments, supplies) and 2–6 random writes, with
 * questions asked after the opening, after a write in the middle and after the last.
 */
export function differentialCaseArb(): fc.Arbitrary<DifferentialCase> {
  return fc
    .record({
      structure: structureArb,
      opening: fc.tuple(
        fc.array(itemArb, { minLength: 3, maxLength: 10 }),
        fc.array(itemArb, { minLength: 2, maxLength: 12 }),
        fc.array(itemArb, { maxLength: 10 }),
      ),
      writes: fc.array(rawWriteArb, { minLength: 2, maxLength: 6 }),
      questions: fc.tuple(rawQuestionsArb, rawQuestionsArb, rawQuestionsArb),
    })
    .map(({ structure, opening, writes, questions }) => materialise(structure, opening, writes, questions));
}

// ---------------------------------------------------------------------------------------------------------------
// From raw seeds to concrete writes (pure; keeps track of what exists so every reference resolves)

function materialise(
  structure: Structure,
  [firmItems, linkItems, supplyItems]: [Item[], Item[], Item[]],
  rawWrites: RawWrite[],
  rawQuestions: [RawQuestions, RawQuestions, RawQuestions],
): DifferentialCase {
  const regions = structure.regions.map((region) => region.id);
  const segments = structure.segments.map((segment) => segment.id);
  const firms: string[] = [];
  const platforms: string[] = [];
  const at = <T>(list: readonly T[], index: number): T => list[index % list.length]!;
  const newFirm = () => {
    const id = `f${firms.length}`;
    firms.push(id);
    return id;
  };

  const firmRow = (item: Item, fresh: boolean): FirmRow => ({
    id: fresh || item.fresh || firms.length === 0 ? newFirm() : at(firms, item.pick),
    region: at(regions, item.region),
    sizeBand: item.size,
    ...(item.leading !== null ? { leading: item.leading } : {}),
    ...(item.highTech !== null ? { highTech: item.highTech } : {}),
    source: item.source,
  });
  const firmRows = (items: readonly Item[], fresh: boolean): FirmRow[] =>
    unique(
      items.map((item) => firmRow(item, fresh)),
      (row) => row.id,
    );
  const linkRows = (items: readonly Item[]): LinkRow[] =>
    unique(
      items.map((item) => ({
        enterprise: at(firms, item.pick),
        segment: at(segments, item.other),
        role: item.role,
        source: item.source,
      })),
      (row) => `${row.enterprise}|${row.segment}`,
    );
  const supplyRows = (items: readonly Item[]): SupplyRow[] =>
    unique(
      items
        .map((item) => ({
          supplier: at(firms, item.pick),
          customer: at(firms, item.other),
          ...(item.products !== null ? { products: item.products } : {}),
          source: item.source,
        }))
        .filter((row) => row.supplier !== row.customer),
      (row) => `${row.supplier}|${row.customer}`,
    );

  const writes: Write[] = [];
  // The firms that exist after each write (the questions of a checkpoint pick among them).
  const firmsAt: string[][] = [];
  const push = (write: Write) => {
    writes.push(write);
    firmsAt.push([...firms]);
  };
  push({ via: 'import', format: 'JSON', kind: 'ENTERPRISES', rows: firmRows(firmItems, true) });
  push({ via: 'import', format: 'CSV', kind: 'SEGMENT_LINKS', rows: linkRows(linkItems) });
  const supplies = supplyRows(supplyItems);
  if (supplies.length > 0) push({ via: 'import', format: 'JSON', kind: 'SUPPLIES', rows: supplies });
  const openingEnd = writes.length - 1;

  for (const raw of rawWrites) {
    const { items, format } = raw;
    switch (raw.kind) {
      case 'ENTERPRISES':
        push({ via: 'import', format, kind: 'ENTERPRISES', rows: firmRows(items, false) });
        break;
      case 'SEGMENT_LINKS':
        push({ via: 'import', format, kind: 'SEGMENT_LINKS', rows: linkRows(items) });
        break;
      case 'SUPPLIES': {
        const rows = supplyRows(items);
        if (rows.length > 0) push({ via: 'import', format, kind: 'SUPPLIES', rows });
        break;
      }
      case 'PLATFORMS': {
        const rows = unique(
          items.map((item): PlatformRow => {
            let id: string;
            if (item.fresh || platforms.length === 0) {
              id = `p${platforms.length}`;
              platforms.push(id);
            } else id = at(platforms, item.pick);
            return {
              id,
              region: at(regions, item.region),
              ...(item.extra !== null ? { host: at(firms, item.extra) } : {}),
              segments: [...new Set([at(segments, item.other), at(segments, item.other + item.pick)])],
              source: item.source,
            };
          }),
          (row) => row.id,
        );
        push({ via: 'import', format, kind: 'PLATFORMS', rows });
        break;
      }
      case 'UPSERT': {
        // Every other item rewrites a firm (new or existing: a move, new flags, a new provenance) as the seed does.
        const newFirms = unique(
          items
            .filter((item) => item.pick % 2 === 0)
            .map((item) => {
              const row = firmRow(item, false);
              return {
                ...row,
                leading: row.leading ?? false,
                highTech: row.highTech ?? false,
                located: item.located,
              };
            }),
          (row) => row.id,
        );
        push({
          via: 'upsertAll',
          firms: newFirms,
          links: linkRows(items),
          supplies: supplyRows(items),
          supports:
            platforms.length === 0
              ? []
              : unique(
                  items.map((item) => ({
                    platform: at(platforms, item.pick),
                    segment: at(segments, item.region),
                    source: item.located,
                  })),
                  (row) => `${row.platform}|${row.segment}`,
                ),
          segmentSources: unique(
            items
              .filter((item) => item.extra !== null)
              .map((item) => ({ id: at(segments, item.extra!), source: item.located })),
            (row) => row.id,
          ),
          feeds: unique(
            items
              .map((item) => ({
                from: at(segments, item.region),
                to: at(segments, item.other),
                source: item.source,
              }))
              .filter((feed) => feed.from !== feed.to),
            (row) => `${row.from}|${row.to}`,
          ),
        });
        break;
      }
    }
  }

  const last = writes.length - 1;
  const middle = Math.max(openingEnd, Math.floor((openingEnd + last) / 2));
  const leaves = regions.filter((id) => !structure.regions.some((region) => region.parent === id));
  const checkpoints = [...new Set([openingEnd, middle, last])].map((after, index) => {
    const raw = rawQuestions[index]!;
    const known = firmsAt[after]!;
    const chain = at(structure.chains, raw.chain).id;
    const chainSegments = structure.segments.filter((segment) => segment.chain === chain).map((s) => s.id);
    const questions: Questions = {
      chain,
      leaf: at(leaves, raw.leaf),
      // compareRegions needs two different regions at least: the root, the picks, and g1 if the picks add none.
      compared: [...new Set(['g0', ...raw.compared.map((index) => at(regions, index)), 'g1'])].slice(0, 4),
      sources: raw.sources,
      thresholds: raw.thresholds,
      target: {
        chain: raw.bySegment ? null : chain,
        segment: raw.bySegment ? at(chainSegments, raw.targetSegment) : null,
        region: at(regions, raw.targetRegion),
        first: raw.first,
        weights: raw.weights,
      },
      lossOfFirm:
        known.length === 0
          ? null
          : { enterprise: at(known, raw.lossFirm), region: at(regions, raw.lossFirmRegion) },
      lossOfSegment: { segment: at(segments, raw.lossSegment), region: at(regions, raw.lossSegmentRegion) },
    };
    return { after, questions };
  });
  return { structure, writes, checkpoints };
}

/** The last row of each key wins (an import refuses two rows with one key; a batch keeps one per pair). */
function unique<T>(rows: readonly T[], key: (row: T) => string): T[] {
  return [...new Map(rows.map((row) => [key(row), row])).values()];
}

// ---------------------------------------------------------------------------------------------------------------
// Applying a case

export interface WriteTarget {
  readonly executor: Executor;
  /** The app under test, and the headers of an editor (imports need the role). */
  readonly url: string;
  readonly editorHeaders: Record<string, string>;
  /** The region ids that count as priority regions for target firms (TARGET_PRIORITY_REGIONS). */
  readonly priorityRegionId: string;
}

const name = (prefix: string, local: string) => `${prefix} ${local}`;

/**
 * Listed firms for the location quotient (issue 15): every other firm (by its number) has a stock code, and most of
 * those a revenue — so that some cases weigh by revenue and most by count. Batches always write both (a replace
 * would drop them otherwise); imports never do (the import has no stock-code column; a merge keeps them). Codes
 * are unique across cases and runs: 98xxxx.SZ is no exchange's, from a random base.
 */
const stockCodes = new Map<string, string>();
let lastStockCode = Math.floor(Math.random() * 5000);
function listedFields(prefix: string, firm: string): Properties {
  const number = Number(firm.slice(1));
  if (number % 2 === 1) return {};
  const key = `${prefix}-${firm}`;
  let code = stockCodes.get(key);
  if (code === undefined) {
    lastStockCode = (lastStockCode + 1) % 10_000;
    code = `98${String(lastStockCode).padStart(4, '0')}.SZ`;
    stockCodes.set(key, code);
  }
  return { stockCode: code, ...(number % 6 === 4 ? {} : { revenueCnyMillion: 10 * (number + 1) }) };
}

/** The structure through graphBuilder (regions, chains, segments, measures), then its provenance mix through upsertAll. */
export async function buildStructure(
  target: WriteTarget,
  prefix: string,
  structure: Structure,
): Promise<void> {
  const id = (local: string) => `${prefix}-${local}`;
  for (const [index, chain] of structure.chains.entries()) {
    await createTestGraph(target.executor, prefix, {
      regions:
        index === 0
          ? structure.regions.map((region) => ({
              id: region.id,
              ...(region.parent !== null
                ? { parent: region.parent }
                : region.underPriority
                  ? { parent: 'prio' }
                  : {}),
              ...(region.lat !== undefined ? { lat: region.lat, lon: region.lon } : {}),
            }))
          : [],
      externalParents: { prio: target.priorityRegionId },
      chain: chain.id,
      segments: structure.segments
        .filter((segment) => segment.chain === chain.id)
        .map((segment) => ({
          id: segment.id,
          stage: segment.stage,
          ...(segment.parent ? { parent: segment.parent } : {}),
        })),
      firms: [],
      measures: chain.measure ? [{ id: `${chain.id}-m`, number: 1, appliesToChain: true }] : [],
    });
  }
  await upsertAll(
    target.executor,
    'test-structure-sources',
    [
      {
        label: L.ChainSegment,
        mode: 'merge',
        rows: structure.segments.map((segment) => ({ id: id(segment.id), source: segment.source })),
      },
    ],
    [
      {
        type: T.FEEDS,
        from: L.ChainSegment,
        to: L.ChainSegment,
        rows: structure.feeds.map((feed) => ({
          from: id(feed.from),
          to: id(feed.to),
          properties: { source: feed.source },
        })),
      },
    ],
  );
}

const IMPORT = `mutation ($kind: ImportKind!, $format: ImportFormat!, $content: String!) {
  importRecords(kind: $kind, format: $format, content: $content) { written problems { line column reason } }
}`;

const isReal = (source: Source | undefined) => source !== undefined && source !== 'ILLUSTRATIVE';

/**
 * The provenance an imported link may have between ends of these provenances: an import refuses an ILLUSTRATIVE link
 * at a real (PLAN/PUBLIC) firm or platform and a real link at an invented one (src/ingest/integrity.ts), so the
 * random row's source is kept where the rule allows it and moved to the nearest allowed one where not; null when
 * the ends are one real and one invented entity, which no link may join.
 */
function allowedLinkSource(wanted: Source, ends: readonly (Source | undefined)[]): Source | null {
  const known = ends.filter((end): end is Source => end !== undefined);
  if (known.length === 0) return wanted;
  if (known.some(isReal) && !known.every(isReal)) return null;
  if (!isReal(known[0])) return 'ILLUSTRATIVE';
  return isReal(wanted) ? wanted : 'PUBLIC';
}

/** The provenance in the graph of the firms an import's links name (one lookup). */
async function firmSources(executor: Executor, ids: readonly string[]): Promise<ReadonlyMap<string, Source>> {
  if (ids.length === 0) return new Map();
  const rows = await executor.read(
    'test-firm-sources',
    cypher(`MATCH (e:${L.Enterprise}) WHERE e.id IN $ids RETURN e.id AS id, e.source AS source`, {
      ids: [...new Set(ids)],
    }),
  );
  return new Map(rows.map((row) => [String(row['id']), row['source'] as Source]));
}

/**
 * The import's records as the columns of its kind (English headers), PLAN rows with their plan section, each link's
 * provenance made one the provenance rule allows between its ends as the graph holds them (`sourceOf`), a PUBLIC
 * supply with its evidence; a supply between a real and an invented firm is left out, and so is such a platform's host.
 */
function importRecords(
  prefix: string,
  write: Extract<Write, { via: 'import' }>,
  sourceOf: (id: string) => Source | undefined,
): Record<string, string | boolean | undefined>[] {
  const id = (local: string) => `${prefix}-${local}`;
  const provenance = (source: Source) => ({
    source,
    section: source === 'PLAN' ? 'test section' : undefined,
  });
  switch (write.kind) {
    case 'ENTERPRISES':
      return write.rows.map((row) => ({
        id: id(row.id),
        name: name(prefix, row.id),
        regionId: id(row.region),
        sizeBand: row.sizeBand,
        leading: row.leading,
        highTech: row.highTech,
        ...provenance(row.source),
      }));
    case 'SEGMENT_LINKS':
      return write.rows.map((row) => ({
        enterpriseId: id(row.enterprise),
        segmentId: id(row.segment),
        role: row.role,
        mainProducts: `${row.segment} goods`,
        ...provenance(allowedLinkSource(row.source, [sourceOf(id(row.enterprise))]) ?? row.source),
      }));
    case 'SUPPLIES':
      return write.rows.flatMap((row) => {
        const source = allowedLinkSource(row.source, [
          sourceOf(id(row.supplier)),
          sourceOf(id(row.customer)),
        ]);
        if (source === null) return [];
        return [
          {
            supplierId: id(row.supplier),
            customerId: id(row.customer),
            products: row.products?.join(';'),
            ...provenance(source),
            ...(source === 'PUBLIC'
              ? { evidenceKind: 'NEWS', evidenceTitle: 'test report', evidenceYear: '2024' }
              : {}),
          },
        ];
      });
    case 'PLATFORMS':
      return write.rows.map((row) => {
        const host = row.host === undefined ? undefined : id(row.host);
        const hostAllowed =
          host !== undefined && allowedLinkSource(row.source, [sourceOf(host)]) === row.source;
        return {
          id: id(row.id),
          name: name(prefix, row.id),
          kind: 'KEY_LABORATORY',
          level: 'PROVINCIAL',
          regionId: id(row.region),
          hostEnterpriseId: hostAllowed ? host : undefined,
          segmentIds: row.segments.map(id).join(';'),
          ...provenance(row.source),
        };
      });
  }
}

/** CSV or JSON text of the records; an undefined value is an empty cell (CSV) or an absent key (JSON). */
function importContent(
  records: readonly Record<string, string | boolean | undefined>[],
  format: 'CSV' | 'JSON',
): string {
  if (format === 'JSON') return JSON.stringify(records);
  const headers = [...new Set(records.flatMap((record) => Object.keys(record)))];
  // Values are ids, enumerations, booleans and words without commas or quotes: no quoting needed.
  return [
    headers.join(','),
    ...records.map((record) => headers.map((header) => String(record[header] ?? '')).join(',')),
  ].join('\n');
}

/** Applies one write through its real path; a refused import or a failed batch fails the test with the reason. */
export async function applyWrite(target: WriteTarget, prefix: string, write: Write): Promise<void> {
  const id = (local: string) => `${prefix}-${local}`;
  if (write.via === 'import') {
    const linked =
      write.kind === 'SEGMENT_LINKS'
        ? write.rows.map((row) => row.enterprise)
        : write.kind === 'SUPPLIES'
          ? write.rows.flatMap((row) => [row.supplier, row.customer])
          : write.kind === 'PLATFORMS'
            ? write.rows.flatMap((row) => (row.host === undefined ? [] : [row.host]))
            : [];
    const sources = await firmSources(target.executor, linked.map(id));
    const records = importRecords(prefix, write, (firmId) => sources.get(firmId));
    if (records.length === 0) return;
    const content = importContent(records, write.format);
    const response = await postGraphQL<{
      importRecords: {
        written: boolean;
        problems: { line: number | null; column: string | null; reason: string }[];
      };
    }>(
      target.url,
      { query: IMPORT, variables: { kind: write.kind, format: write.format, content } },
      target.editorHeaders,
    );
    const answer = response.body.data?.importRecords;
    if (response.body.errors || !answer?.written || answer.problems.length > 0) {
      throw new Error(
        `import ${write.kind} was not written: ${JSON.stringify(response.body.errors ?? answer?.problems)}\n${content}`,
      );
    }
    return;
  }
  const nodes: NodeBatch[] = [
    {
      label: L.Enterprise,
      rows: write.firms.map((firm): Properties => ({
        id: id(firm.id),
        name: name(prefix, firm.id),
        regionId: id(firm.region),
        sizeBand: firm.sizeBand,
        leading: firm.leading,
        highTech: firm.highTech,
        listed: false,
        specialised: false,
        ...listedFields(prefix, firm.id),
        source: firm.source,
      })),
    },
    {
      label: L.ChainSegment,
      mode: 'merge',
      rows: write.segmentSources.map((segment) => ({ id: id(segment.id), source: segment.source })),
    },
  ];
  const relationships: RelationshipBatch[] = [
    {
      type: T.LOCATED_IN,
      from: L.Enterprise,
      to: L.Region,
      exclusive: true,
      rows: write.firms.map((firm) => ({
        from: id(firm.id),
        to: id(firm.region),
        properties: { source: firm.located },
      })),
    },
    {
      type: T.OPERATES_IN,
      from: L.Enterprise,
      to: L.ChainSegment,
      rows: write.links.map((link) => ({
        from: id(link.enterprise),
        to: id(link.segment),
        properties: { role: link.role, mainProducts: [`${link.segment} goods`], source: link.source },
      })),
    },
    {
      type: T.SUPPLIES,
      from: L.Enterprise,
      to: L.Enterprise,
      rows: write.supplies.map((supply) => ({
        from: id(supply.supplier),
        to: id(supply.customer),
        properties: { products: [...(supply.products ?? [])], source: supply.source },
      })),
    },
    {
      type: T.SUPPORTS,
      from: L.Platform,
      to: L.ChainSegment,
      rows: write.supports.map((support) => ({
        from: id(support.platform),
        to: id(support.segment),
        properties: { source: support.source },
      })),
    },
    {
      type: T.FEEDS,
      from: L.ChainSegment,
      to: L.ChainSegment,
      rows: write.feeds.map((feed) => ({
        from: id(feed.from),
        to: id(feed.to),
        properties: { source: feed.source },
      })),
    },
  ];
  await upsertAll(target.executor, 'test-differential-batch', nodes, relationships);
}
