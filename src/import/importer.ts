import { cypher } from '../data/cypher.js';
import type { Executor } from '../data/executor.js';
import { assertLabel, NodeLabel as L, type NodeLabel } from '../data/model.js';
import { upsertAll, type UpsertReport } from '../data/upsert.js';
import { clip } from '../errors.js';
import { toBatches, type Batches } from '../ingest/batches.js';
import { describeProblem, type Problem } from '../ingest/problem.js';
import { PLAN_NEEDS_SECTION, type Records } from '../ingest/records.js';
import { nameKeysOf, type EnterpriseIdentities, type NodeFacts } from '../ingest/integrity.js';
import { checkReferences, referencedIds, type Located, type LocatedRecords } from '../ingest/references.js';
import { readCsv, type CsvRecord } from './csv.js';
import { describeJsonPlace, jsonShape, MAX_JSON_DEPTH } from './jsonShape.js';
import { KINDS, normaliseHeader, type Column, type KindName, type KindSpec } from './kinds.js';

/**
 * The import pipeline shared by `npm run import` and the `importRecords` mutation: parse CSV or JSON, validate every
 * cell and every reference (against the graph and the rest of the import), and only then write, in batched
 * transactions (UNWIND). A run with any bad row writes nothing unless the caller accepts the valid rows, and then the
 * rejected rows come back with their reasons. Writes are idempotent: stable ids, or the unified social credit code
 * as the natural key of an enterprise.
 */

export type ImportFormat = 'csv' | 'json';

export interface ImportSource {
  /** File name (or "request") used in messages. */
  readonly name: string;
  readonly content: string;
  readonly format: ImportFormat;
  readonly kind: KindName;
}

/** A problem of an import: a line (or record of a JSON table) and column, or the whole file. */
export type ImportProblem = Problem;
export { describeProblem as describeImportProblem };

interface Row {
  readonly source: ImportSource;
  readonly line: number;
  /** The header each field came from, so problems name the column as the file writes it. */
  readonly headers: ReadonlyMap<string, string>;
  /** The cells as given, for the reject file. */
  readonly raw: Record<string, string>;
  readonly record: Record<string, unknown>;
  readonly problems: ImportProblem[];
}

export interface RejectedRow {
  readonly file: string;
  readonly line: number;
  readonly raw: Record<string, string>;
  readonly reasons: string[];
}

export interface KindSummary {
  readonly kind: KindName;
  readonly rows: number;
  readonly created: number;
  readonly updated: number;
  readonly unchanged: number;
  readonly rejected: number;
}

export interface ImportResult {
  /** Whether anything was written. */
  readonly written: boolean;
  readonly summaries: KindSummary[];
  readonly problems: ImportProblem[];
  readonly rejected: RejectedRow[];
  /** Where the time went, in ms: reading and checking cells, looking up references, checking them, writing. */
  readonly phases: ImportPhases;
}

export interface ImportPhases {
  readonly parseMs: number;
  readonly referencesMs: number;
  readonly validateMs: number;
  readonly writeMs: number;
}

export interface ImportOptions {
  /** Write the valid rows even when some rows are bad. */
  readonly acceptValid: boolean;
  /** Provenance for rows whose file has no source column. */
  readonly defaultSource?: 'PLAN' | 'PUBLIC' | 'ILLUSTRATIVE' | undefined;
  /** Rows per write transaction (default DEFAULT_BATCH_SIZE). */
  readonly batchSize?: number;
  /** Write transactions in flight at once for the kinds that allow it (default DEFAULT_WRITERS; 1 = one by one). */
  readonly writers?: number;
  readonly maxRows?: number;
  /** Keys per reference look-up statement (default LOOKUP_CHUNK); tests set it small to see the look-ups in pieces. */
  readonly lookupChunk?: number;
  readonly onProgress?: (progress: { kind: KindName; done: number; total: number }) => void;
}

/**
 * Content the pipeline refuses to read at all, because reading it would be unsafe (JSON nested deeper than
 * MAX_JSON_DEPTH): the whole import is refused with this, like an oversized request, rather than reported row by row.
 * The importRecords mutation turns it into BAD_USER_INPUT on `content`; the CLI prints it.
 */
export class ImportContentError extends Error {
  override readonly name = 'ImportContentError';
  constructor(
    readonly problem: ImportProblem,
    /** Where in the content, without the file name: "record 3, key "name"". */
    readonly where: string,
  ) {
    super(describeProblem(problem));
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Parsing

function stringValue(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(stringValue).join(';');
  if (typeof value === 'object') return JSON.stringify(value);
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function readTable(
  source: ImportSource,
): { headers: string[]; rows: { line: number; cells: string[] }[] } | ImportProblem {
  if (source.format === 'json') {
    let parsed: unknown;
    try {
      parsed = JSON.parse(source.content);
    } catch (error) {
      return {
        file: source.name,
        line: null,
        column: null,
        reason: `not valid JSON: ${clip((error as Error).message, 200)}`,
      };
    }
    const shape = jsonShape(source.content);
    if (shape.tooDeep) {
      throw new ImportContentError(
        {
          file: source.name,
          line: shape.tooDeep.record,
          column: shape.tooDeep.key === null ? null : clip(shape.tooDeep.key),
          reason: `JSON nested deeper than ${MAX_JSON_DEPTH} levels (an import is an array of flat objects, one per row)`,
        },
        describeJsonPlace(shape.tooDeep, clip) || 'the document',
      );
    }
    if (shape.duplicateKeys.length > 0) {
      return {
        file: source.name,
        line: shape.duplicateKeys[0]!.record,
        column: null,
        reason: `${describeJsonPlace(shape.duplicateKeys[0]!, clip)} is given twice in one object; give each column once`,
      };
    }
    if (
      !Array.isArray(parsed) ||
      parsed.some((item) => typeof item !== 'object' || item === null || Array.isArray(item))
    ) {
      return {
        file: source.name,
        line: null,
        column: null,
        reason: 'expected a JSON array of objects, one per row',
      };
    }
    const objects = parsed as Record<string, unknown>[];
    const headers = [...new Set(objects.flatMap((object) => Object.keys(object)))];
    return {
      headers,
      rows: objects.map((object, index) => ({
        line: index + 1,
        cells: headers.map((header) => stringValue(object[header])),
      })),
    };
  }
  let records: CsvRecord[];
  try {
    records = readCsv(source.content);
  } catch (error) {
    return {
      file: source.name,
      line: null,
      column: null,
      reason: `not valid CSV: ${(error as Error).message}`,
    };
  }
  const [header, ...body] = records;
  if (!header)
    return { file: source.name, line: null, column: null, reason: 'the file is empty (no header row)' };
  return {
    headers: header.record,
    rows: body.map((entry) => ({ line: entry.line, cells: entry.record })),
  };
}

function columnFor(spec: KindSpec, header: string): Column | undefined {
  const wanted = normaliseHeader(header);
  return spec.columns.find((column) => column.headers.some((alias) => normaliseHeader(alias) === wanted));
}

/** Parses and validates one source on its own (no references yet). */
function parseSource(
  source: ImportSource,
  options: ImportOptions,
): { rows: Row[]; fileProblems: ImportProblem[] } {
  const spec = KINDS[source.kind];
  const table = readTable(source);
  if ('reason' in table) return { rows: [], fileProblems: [table] };
  const fileProblems: ImportProblem[] = [];
  const mapped = table.headers.map((header) => ({ header, column: columnFor(spec, header) }));
  for (const { header, column } of mapped) {
    if (!column) {
      fileProblems.push({
        file: source.name,
        line: source.format === 'csv' ? 1 : null,
        column: clip(header),
        reason: `unknown column for ${spec.name}; expected: ${spec.columns.map((candidate) => candidate.key).join(', ')}`,
      });
    }
  }
  // Two columns for one field (twice the same header, or two of its aliases such as name and 企业名称) would
  // leave the value to whichever comes last; the file is refused instead, naming both.
  const byKey = new Map<string, string[]>();
  for (const { header, column } of mapped)
    if (column) byKey.set(column.key, [...(byKey.get(column.key) ?? []), header]);
  for (const [key, headers] of byKey) {
    if (headers.length > 1) {
      fileProblems.push({
        file: source.name,
        line: source.format === 'csv' ? 1 : null,
        column: clip(headers[1]!),
        reason: `columns ${headers.map((header) => `'${clip(header)}'`).join(' and ')} ${headers.length === 2 ? 'both' : 'all'} give ${key}; keep one`,
      });
    }
  }
  const present = new Set(byKey.keys());
  const headers = new Map(
    mapped.flatMap(({ header, column }) => (column ? [[column.key, header] as const] : [])),
  );
  for (const column of spec.columns) {
    if (column.required && !present.has(column.key)) {
      fileProblems.push({
        file: source.name,
        line: source.format === 'csv' ? 1 : null,
        column: column.key,
        reason: `required column ${column.key} (${column.headers.slice(1, 3).join(' / ')}) is missing`,
      });
    }
  }
  if (!present.has('source') && !options.defaultSource) {
    fileProblems.push({
      file: source.name,
      line: source.format === 'csv' ? 1 : null,
      column: 'source',
      reason:
        'every fact needs its provenance: add a source column (PLAN, PUBLIC or ILLUSTRATIVE) or pass a default source',
    });
  }
  if (options.maxRows !== undefined && table.rows.length > options.maxRows) {
    fileProblems.push({
      file: source.name,
      line: null,
      column: null,
      reason: `${table.rows.length} rows; at most ${options.maxRows} per import`,
    });
  }
  if (fileProblems.length > 0) return { rows: [], fileProblems };

  const rows = table.rows.map(({ line, cells }) => {
    const raw: Record<string, string> = {};
    const record: Record<string, unknown> = {};
    const problems: ImportProblem[] = [];
    const problem = (column: string | null, reason: string) =>
      problems.push({ file: source.name, line, column, reason });
    if (cells.length !== mapped.length)
      problem(null, `${cells.length} cells, but the header has ${mapped.length} columns`);
    mapped.forEach(({ header, column }, index) => {
      const cell = (cells[index] ?? '').trim();
      raw[header] = cells[index] ?? '';
      if (!column || cell === '') return;
      const parsed = column.parse(cell);
      if (parsed.ok) record[column.key] = parsed.value;
      else problem(header, parsed.error);
    });
    for (const column of spec.columns) {
      if (
        column.required &&
        record[column.key] === undefined &&
        !problems.some(
          (existing) => existing.column !== null && columnFor(spec, existing.column)?.key === column.key,
        )
      ) {
        problem(column.key, 'required, but empty');
      }
    }
    record['source'] ??= options.defaultSource;
    if (
      record['source'] === undefined &&
      !problems.some(
        (existing) => existing.column !== null && columnFor(spec, existing.column)?.key === 'source',
      )
    ) {
      problem('source', 'required, but empty (every fact needs its provenance)');
    }
    if (record['source'] === 'PLAN' && record['section'] === undefined)
      problem('section', PLAN_NEEDS_SECTION);
    // Cross-column checks only make sense once every cell parsed (a bad credit code is not also "missing").
    if (problems.length === 0) for (const [key, message] of spec.check?.(record) ?? []) problem(key, message);
    return { source, line, headers, raw, record, problems };
  });
  return { rows, fileProblems };
}

// ---------------------------------------------------------------------------------------------------------------
// References

interface ReferenceIndex {
  /** The nodes found, by label and id, with their provenance and name (the provenance rule reads them). */
  readonly existing: ReadonlyMap<NodeLabel, ReadonlyMap<string, NodeFacts>>;
  readonly enterpriseByCode: ReadonlyMap<string, string>;
  /** The graph's enterprises that hold the rows' stock codes, credit codes and name keys. */
  readonly identities: EnterpriseIdentities;
}

const CREDIT_CODE_KEYS = ['creditCode', 'supplierCreditCode', 'customerCreditCode'];

/**
 * Keys per reference look-up statement (loadReferences). A 50,000-firm import's name keys alone took 340 ms as one
 * statement, on one of Neo4j's cores; in chunks its look-ups spread over both.
 */
const LOOKUP_CHUNK = 10_000;
/**
 * Look-up statements in flight at once: all of a 50,000-row import's (about a dozen), as measured, and few enough
 * that a million-row import does not open a session for each of its hundreds of chunks at once.
 */
const LOOKUPS_IN_FLIGHT = 16;

/** The nodes the rows point to that are already in the graph, and the enterprises their credit codes name. */
async function loadReferences(
  executor: Executor,
  rows: readonly Row[],
  chunkSize = LOOKUP_CHUNK,
): Promise<ReferenceIndex> {
  const wanted = referencedIds(locatedRows(rows, () => undefined));
  const codes = new Set<string>();
  const stockCodes = new Set<string>();
  const nameKeys = new Set<string>();
  for (const row of rows) {
    for (const key of CREDIT_CODE_KEYS) {
      if (typeof row.record[key] === 'string') codes.add(row.record[key]);
    }
    if (row.source.kind !== 'enterprises') continue;
    if (typeof row.record['stockCode'] === 'string') stockCodes.add(row.record['stockCode']);
    if (typeof row.record['name'] === 'string')
      for (const key of nameKeysOf({
        name: row.record['name'],
        formerNames: row.record['formerNames'] as string[] | undefined,
      }))
        nameKeys.add(key);
  }
  // One index-backed lookup per label (labels from the closed list): a label-less MATCH on id would scan every node.
  // Each node comes with its provenance and name, for the rule that no invented link touches a real entity.
  // The look-ups are independent statements of at most LOOKUP_CHUNK keys each, sent together, each in its own read
  // transaction: Neo4j runs a statement on one core, and as one statement of sequential subqueries the look-ups of a
  // 50,000-firm import took a second (credit codes and name keys are each a 50,000-key index look-up, the name keys
  // alone 340 ms) while the other core waited. Each reads committed data, as the single statement did; the writes
  // that follow are separate transactions either way.
  const labels = [...wanted.keys()];
  const lookups: { key: string; statement: string; values: readonly string[] }[] = [
    ...labels.map((label, index) => ({
      key: `found${index}`,
      statement: `MATCH (n:${assertLabel(label)}) WHERE n.id IN $values RETURN collect([n.id, n.source, n.name]) AS found`,
      values: [...wanted.get(label)!],
    })),
    {
      key: 'byCode',
      statement: `MATCH (e:${L.Enterprise}) WHERE e.creditCode IN $values
                  RETURN collect([e.creditCode, e.id, e.source, e.name]) AS found`,
      values: [...codes],
    },
    {
      key: 'byStockCode',
      statement: `MATCH (e:${L.Enterprise}) WHERE e.stockCode IN $values RETURN collect([e.stockCode, e.id, e.name]) AS found`,
      values: [...stockCodes],
    },
    {
      key: 'byNameKey',
      statement: `MATCH (e:${L.Enterprise}) WHERE e.nameKey IN $values RETURN collect([e.nameKey, e.id, e.name]) AS found`,
      values: [...nameKeys],
    },
  ];
  const chunks = lookups.flatMap(({ key, statement, values }) =>
    Array.from({ length: Math.ceil(values.length / chunkSize) }, (_, chunk) => ({
      key,
      query: cypher(statement, { values: values.slice(chunk * chunkSize, (chunk + 1) * chunkSize) }),
    })),
  );
  const result = new Map<string, (string | null)[][]>();
  await inParallel(chunks, LOOKUPS_IN_FLIGHT, async ({ key, query }) => {
    const [row] = await executor.read('import-references', query);
    const rows = result.get(key) ?? [];
    for (const found of (row?.['found'] as (string | null)[][] | undefined) ?? []) rows.push(found);
    result.set(key, rows);
  });
  const found = (key: string) => result.get(key) ?? [];
  const byCodeRows = found('byCode');
  const byCode = new Map(byCodeRows.map(([code, id]) => [code!, id!]));
  const existing = new Map<NodeLabel, Map<string, NodeFacts>>(
    labels.map((label, index) => [
      label,
      new Map(
        found(`found${index}`).map(([id, source, name]) => [
          id!,
          { source: source ?? undefined, name: name ?? undefined },
        ]),
      ),
    ]),
  );
  // An enterprise found by its credit code is in the graph, whether or not a row names its id.
  const enterprises = existing.get(L.Enterprise) ?? new Map<string, NodeFacts>();
  existing.set(L.Enterprise, enterprises);
  for (const [, id, source, name] of byCodeRows)
    enterprises.set(id!, { source: source ?? undefined, name: name ?? undefined });
  const identity = (key: string) =>
    new Map(found(key).map(([value, id, name]) => [value!, { id: id!, name: name ?? '' }]));
  return {
    existing,
    enterpriseByCode: byCode,
    identities: {
      // A credit code of the graph is the enterprise's natural key: resolveCreditCodes reports a clash already.
      byCreditCode: new Map(),
      byStockCode: identity('byStockCode'),
      byNameKey: identity('byNameKey'),
    },
  };
}

/** The id an enterprise row writes to: its own, the one its credit code already has, or one derived from the code. */
function enterpriseIdOf(record: Record<string, unknown>, index: ReferenceIndex): string | undefined {
  if (typeof record['id'] === 'string') return record['id'];
  const code = record['creditCode'];
  if (typeof code !== 'string') return undefined;
  return index.enterpriseByCode.get(code) ?? `ent-${code.toLowerCase()}`;
}

/**
 * The import's natural keys, in place: an enterprise row's credit code must not belong to another enterprise, and a
 * link given by credit code points to the enterprise of that code (of this import, or already in the graph).
 */
function resolveCreditCodes(rows: readonly Row[], index: ReferenceIndex): void {
  const codesInImport = new Map<string, string>();
  for (const row of rows.filter((candidate) => candidate.source.kind === 'enterprises')) {
    if (row.problems.length > 0) continue;
    const id = enterpriseIdOf(row.record, index);
    const code = row.record['creditCode'] as string | undefined;
    const owner = code ? index.enterpriseByCode.get(code) : undefined;
    if (code && owner && owner !== id) {
      row.problems.push({
        file: row.source.name,
        line: row.line,
        column: row.headers.get('creditCode') ?? 'creditCode',
        reason: `this credit code already belongs to enterprise ${owner}`,
      });
    } else if (code && id !== undefined) codesInImport.set(code, id);
  }
  for (const row of rows) {
    const resolve = (codeKey: string, idKey: string) => {
      const code = row.record[codeKey];
      if (typeof code !== 'string' || row.record[idKey] !== undefined) return;
      const id = codesInImport.get(code) ?? index.enterpriseByCode.get(code);
      if (id !== undefined) row.record[idKey] = id;
      else
        row.problems.push({
          file: row.source.name,
          line: row.line,
          column: row.headers.get(codeKey) ?? codeKey,
          reason: `no enterprise with credit code ${clip(code)}`,
        });
    };
    if (row.source.kind === 'segment-links') resolve('creditCode', 'enterpriseId');
    if (row.source.kind === 'supplies') {
      resolve('supplierCreditCode', 'supplierId');
      resolve('customerCreditCode', 'customerId');
    }
  }
}

/** The column of a record's field: a policy row gives the policy's id as policyId and the measure's as measureId. */
function columnOf(kind: keyof Records, field: string): string {
  const key = field.replace(/\[\d+\]$/, '').replace(/^appliesTo\./, '');
  if (key === 'id' && kind === 'policies') return 'policyId';
  if (key === 'id' && kind === 'measures') return 'measureId';
  // The evidence rule names the evidence: its kind column says which document.
  if (key === 'evidence') return 'evidenceKind';
  return key;
}

/**
 * The records of the rows for the reference checker, each reporting its problems on its row and column. A row with
 * a bad cell is checked but not there for the others (its records are not written).
 */
function locatedRows(
  rows: readonly Row[],
  enterpriseId: (record: Record<string, unknown>) => string | undefined,
): LocatedRecords {
  const located: { -readonly [K in keyof Records]?: Located<Records[K][number]>[] } = {};
  const policies = new Set<string>();
  for (const row of rows) {
    const records = KINDS[row.source.kind].toRecords(
      row.source.kind === 'enterprises' ? { ...row.record, id: enterpriseId(row.record) } : row.record,
    );
    const sound = row.problems.length === 0;
    for (const kind of Object.keys(records) as (keyof Records)[]) {
      for (const record of records[kind] ?? []) {
        const id = (record as { id?: string }).id;
        const entry: Located<typeof record> = {
          record,
          where: `${row.source.name} line ${row.line}`,
          report: (field, reason) => {
            const column = columnOf(kind, field);
            row.problems.push({
              file: row.source.name,
              line: row.line,
              column: row.headers.get(column) ?? column,
              reason,
            });
          },
          // Each policy row repeats its policy, so the measure of a row always has its policy, and the repeats are
          // not duplicates (the first row gives the policy that is written).
          sound: sound || kind === 'policies',
          repeat: kind === 'policies' && id !== undefined && policies.has(id),
        };
        if (kind === 'policies' && id !== undefined) policies.add(id);
        ((located[kind] ??= []) as Located<typeof record>[]).push(entry);
      }
    }
  }
  return located;
}

// ---------------------------------------------------------------------------------------------------------------
// Writing

/**
 * The batches of a chunk of valid rows of one kind. Every optional column follows one rule: a column the file does
 * not have, or an empty cell in it, gives no value, and the stored value is kept (a new record gets the model's
 * default, or nothing); hence `merge`. There is no way to clear a value by import.
 */
function batchesFor(kind: KindName, rows: readonly Row[], index: ReferenceIndex): Batches {
  const spec = KINDS[kind];
  const records = rows.map((row) =>
    spec.toRecords(
      kind === 'enterprises' ? { ...row.record, id: enterpriseIdOf(row.record, index) } : row.record,
    ),
  );
  const all = <K extends keyof Records>(key: K): Records[K][number][] =>
    records.flatMap((record) => (record[key] ?? []) as Records[K][number][]);
  // A policy is repeated on each of its measures' rows; the first row gives it.
  const policies = new Map(
    all('policies')
      .map((policy) => [policy.id, policy] as const)
      .reverse(),
  );
  return toBatches(
    {
      regions: all('regions'),
      enterprises: all('enterprises'),
      segmentLinks: all('segmentLinks'),
      supplies: all('supplies'),
      platforms: all('platforms'),
      policies: [...policies.values()],
      measures: all('measures'),
    },
    'merge',
  );
}

/** Which report of a batch counts the kind's rows (the node upsert, or the relationship upsert for link kinds). */
function countsOf(
  kind: KindName,
  reports: readonly UpsertReport[],
): { created: number; updated: number; unchanged: number } {
  const primary =
    kind === 'segment-links' || kind === 'supplies'
      ? reports.find((report) => report.kind.includes(kind === 'supplies' ? ':SUPPLIES' : ':OPERATES_IN'))
      : reports.find(
          (report) =>
            report.kind ===
            (kind === 'enterprises'
              ? L.Enterprise
              : kind === 'platforms'
                ? L.Platform
                : kind === 'regions'
                  ? L.Region
                  : L.PolicyMeasure),
        );
  return primary?.counts ?? { created: 0, updated: 0, unchanged: 0 };
}

/** Rows per write transaction: large enough that per-transaction costs (commit, round trips) are spread thin. */
export const DEFAULT_BATCH_SIZE = 5000;
/** Write transactions of one kind in flight at once (see parallelWritersFor). */
export const DEFAULT_WRITERS = 2;

/**
 * How many transactions of a kind may run at once. Only enterprises run in parallel: every enterprise of an import
 * is distinct (a second row for one is rejected as a duplicate), so two batches never lock the same enterprise, and
 * the regions they point to are only read (see upsertRelationshipsQuery). Their batches are what a large import is
 * made of. The other kinds lock nodes that several batches share (a supplier and its customers, a policy and its
 * measures) in an order that is sorted within a batch but not across batches, so parallel batches could deadlock
 * each other; they are written one batch at a time, as before.
 */
function parallelWritersFor(kind: KindName, writers: number): number {
  return kind === 'enterprises' ? writers : 1;
}

/**
 * Runs `work` on each item, at most `limit` at a time, starting them in order. While one batch is being written by
 * Neo4j the next is built and sent, so Node and the database work at the same time. After the first failure no
 * further item starts; those in flight are awaited, then the failure is thrown. As before, the batches that finished
 * stay written (each batch is its own transaction, and re-running the import is idempotent).
 */
async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const worker = async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  const workers = Number.isInteger(limit) && limit > 1 ? Math.min(limit, items.length) : 1;
  await Promise.all(Array.from({ length: workers }, worker));
  if (failure !== undefined) throw failure.error;
}

const WRITE_ORDER: readonly KindName[] = [
  // Regions first: the other kinds' rows may be located in a region of the same import.
  'regions',
  'enterprises',
  'platforms',
  'policies',
  'segment-links',
  'supplies',
];

export async function importSources(
  executor: Executor,
  sources: readonly ImportSource[],
  options: ImportOptions,
): Promise<ImportResult> {
  let clock = performance.now();
  const lap = () => {
    const now = performance.now();
    const ms = Math.round(now - clock);
    clock = now;
    return ms;
  };
  const parsed = sources.map((source) => parseSource(source, options));
  const fileProblems = parsed.flatMap((entry) => entry.fileProblems);
  const rows = parsed.flatMap((entry) => entry.rows);
  const parseMs = lap();
  if (fileProblems.length > 0) {
    const phases = { parseMs, referencesMs: 0, validateMs: 0, writeMs: 0 };
    return { written: false, summaries: [], problems: fileProblems, rejected: [], phases };
  }
  const index = await loadReferences(executor, rows, options.lookupChunk);
  const referencesMs = lap();
  resolveCreditCodes(rows, index);
  checkReferences(
    locatedRows(rows, (record) => enterpriseIdOf(record, index)),
    (label, id) => index.existing.get(label)?.get(id),
    index.identities,
  );
  const bad = rows.filter((row) => row.problems.length > 0);
  const problems = bad.flatMap((row) => row.problems);
  const rejected = bad.map((row) => ({
    file: row.source.name,
    line: row.line,
    raw: row.raw,
    reasons: row.problems.map((problem) => `${problem.column ?? ''}: ${problem.reason}`),
  }));
  const good = rows.filter((row) => row.problems.length === 0);
  const validateMs = lap();
  const summaries: KindSummary[] = [];
  const written = bad.length === 0 || options.acceptValid;
  const size = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const writers = options.writers ?? DEFAULT_WRITERS;
  for (const kind of WRITE_ORDER) {
    const ofKind = rows.filter((row) => row.source.kind === kind);
    if (ofKind.length === 0) continue;
    const valid = good.filter((row) => row.source.kind === kind);
    const totals = { created: 0, updated: 0, unchanged: 0 };
    if (written) {
      const chunks: Row[][] = [];
      for (let start = 0; start < valid.length; start += size) chunks.push(valid.slice(start, start + size));
      let done = 0;
      // A kind is finished before the next starts: links and supplies may refer to enterprises of this import.
      await inParallel(chunks, parallelWritersFor(kind, writers), async (chunk) => {
        const { nodes, relationships } = batchesFor(kind, chunk, index);
        // Firms the look-up did not find are created outright (upsertAll's expectNew), the way most of a large
        // import goes; one created since by another writer sends the batch the general way.
        const known = index.existing.get(L.Enterprise);
        const expectNew =
          kind === 'enterprises' &&
          chunk.every((row) => {
            const id = enterpriseIdOf(row.record, index);
            return id !== undefined && known?.has(id) !== true;
          });
        const reports = await upsertAll(executor, `import-${kind}`, nodes, relationships, { expectNew });
        const counts = countsOf(kind, reports);
        totals.created += counts.created;
        totals.updated += counts.updated;
        totals.unchanged += counts.unchanged;
        done += chunk.length;
        options.onProgress?.({ kind, done, total: valid.length });
      });
    }
    summaries.push({ kind, rows: ofKind.length, ...totals, rejected: ofKind.length - valid.length });
  }
  const phases = { parseMs, referencesMs, validateMs, writeMs: lap() };
  return { written, summaries, problems, rejected, phases };
}

/** The kind of a file from its name, when the caller does not say. */
export function kindFromFileName(fileName: string): KindName | null {
  const lower = fileName.toLowerCase();
  const matches = Object.values<KindSpec>(KINDS).filter((spec) =>
    spec.fileNames.some((word) => lower.includes(word)),
  );
  return matches.length === 1 ? matches[0]!.name : null;
}
