import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * `node --import tsx bench/profileSummary.ts <profile.cpuprofile | directory> [out.md] [title]`: sums up a V8 CPU
 * profile of the service (written by `node --cpu-prof`, e.g. through `BENCH_CPU_PROF=<dir> npm run bench`) as
 * Markdown — where the time of the GraphQL requests went, by part of the request path, and the top frames by self
 * and by inclusive time. A directory means its newest .cpuprofile.
 *
 * Only the window from the first to the last sample inside Apollo's request handling counts (start-up, module
 * compilation and shutdown are left out), and idle samples are left out of the total: the shares are of the CPU
 * time the service spent while it was under load.
 */

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** The parts of a request, in the order of the report. Each sample goes to the part of its innermost known frame. */
export const CATEGORIES = [
  'HTTP and body parsing',
  'Apollo pipeline and plugins',
  'GraphQL parse',
  'validation rules (graphql-js, graphql-armor), cost and argument checks',
  'GraphQL execution (graphql-js)',
  'translation: selection → Cypher (resolvers, builders)',
  'executor and driver (sessions, transactions, Bolt)',
  'value conversion',
  'response serialisation',
  'logging',
  'garbage collection',
  'V8 and native (program)',
  'other (Node internals, promises, timers)',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** The part a frame belongs to, or null when it says nothing by itself (its caller decides). */
export function categoryOf(frame: CallFrame): Category | null {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'garbage collection';
  if (functionName === '(program)') return 'V8 and native (program)';
  // Sockets and streams serve both HTTP and Bolt: their caller (express or the driver) decides.
  if (url === '') {
    if (functionName === 'stringify') return 'response serialisation';
    return null; // a builtin: JSON.parse, Array.map … — its caller says what for
  }
  if (/\/(pino|pino-std-serializers|sonic-boom|thread-stream|fast-redact|on-exit-leak-free)\//.test(url))
    return 'logging';
  if (url.includes('/src/logger.ts')) return 'logging';
  // JSON.stringify runs inside these frames (a builtin leaves no frame of its own).
  if (/stringify/i.test(functionName) && /\/@apollo\//.test(url)) return 'response serialisation';
  if (url.includes('/src/data/convert.ts')) return 'value conversion';
  if (/\/neo4j-driver[^/]*\//.test(url) || /\/src\/data\/(executor|availability|errors|driver)\.ts/.test(url))
    return 'executor and driver (sessions, transactions, Bolt)';
  if (/\/src\/(data|graphql\/resolvers|analytics)\//.test(url))
    return 'translation: selection → Cypher (resolvers, builders)';
  if (
    /\/(graphql-armor|@escape\.tech)\//.test(url) ||
    /\/graphql\/(validation|utilities\/TypeInfo|utilities\/coerceInputValue|execution\/values|language\/visitor)/.test(
      url,
    ) ||
    /\/src\/graphql\/(cost|argumentLimits|guardrails|admission)\.ts/.test(url)
  )
    return 'validation rules (graphql-js, graphql-armor), cost and argument checks';
  if (/\/graphql\/language\//.test(url)) return 'GraphQL parse';
  if (/\/graphql\/(execution|type|jsutils)\//.test(url)) return 'GraphQL execution (graphql-js)';
  if (/\/(@apollo|@graphql-tools|lru-cache|@as-integrations)\//.test(url) || /\/src\/graphql\//.test(url))
    return 'Apollo pipeline and plugins';
  if (/\/src\/errors\.ts/.test(url)) return 'Apollo pipeline and plugins';
  if (
    /\/(express|body-parser|raw-body|iconv-lite|router|content-type|type-is|mime-types|mime-db|negotiator|accepts|finalhandler|on-finished|send|qs|cookie|vary|etag|fresh|depd|http-errors|statuses|media-typer|encodeurl|parseurl|proxy-addr|forwarded|ipaddr\.js|path-to-regexp|debug|ms)\//.test(
      url,
    ) ||
    /\/src\/(http|auth)/.test(url) ||
    /^node:(_http|http|internal\/http)/.test(url)
  )
    return 'HTTP and body parsing';
  return null;
}

export interface Summary {
  readonly windowMs: number;
  readonly busyMs: number;
  readonly idleMs: number;
  readonly samples: number;
  readonly byCategory: readonly { category: Category; selfMs: number; inclusiveMs: number }[];
  readonly topSelf: readonly { frame: string; category: string; ms: number }[];
  readonly topInclusive: readonly { frame: string; category: string; ms: number }[];
  readonly selected: readonly { label: string; ms: number }[];
}

/** Frames the issue asks about by name, with their inclusive time (each sample counted once per label). */
const SELECTED: readonly { label: string; pattern: RegExp }[] = [
  { label: 'Bolt BEGIN (explicit transactions)', pattern: /^BoltProtocol\.beginTransaction / },
  { label: 'Bolt RUN + PULL', pattern: /^BoltProtocol\.run / },
  { label: 'Bolt COMMIT', pattern: /^BoltProtocol\.commitTransaction / },
  { label: 'driver: stack capture per result', pattern: /^captureStacktrace / },
  { label: "Apollo's per-field instrumentation (cache control)", pattern: /^field\.resolve @apollo/ },
  { label: 'argument-length check (argumentLimits.ts)', pattern: /^(findOverlongArgument|checkArguments) / },
  { label: 'cost pricing (cost.ts operationCost)', pattern: /^operationCost / },
  { label: "Apollo's query hash (sha256 per request)", pattern: /^computeQueryHash / },
  { label: 'express ETag of the response', pattern: /^generateETag / },
  { label: 'body parser (express.json)', pattern: /^jsonParser / },
  { label: 'pino child logger per request', pattern: /^child .*pino/ },
  { label: 'value conversion (toPlain)', pattern: /^toPlain / },
  { label: 'selection → Cypher (selectionOf, projectNode)', pattern: /^(selectionOf|projectNode) / },
];

/** Sample markers of request handling: frames of Apollo's HTTP request pipeline. */
const REQUEST_FRAME = /\/@apollo\/server\//;

function frameName(frame: CallFrame): string {
  const file =
    frame.url === ''
      ? '(native)'
      : frame.url
          .replace(/^.*\/node_modules\//, '')
          .replace(/^.*\/(src|bench)\//, '$1/')
          .replace(/^file:\/\//, '');
  return `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
}

export function summarise(profile: CpuProfile, top = 25): Summary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const stackOf = new Map<number, ProfileNode[]>();
  const stack = (id: number): ProfileNode[] => {
    const known = stackOf.get(id);
    if (known) return known;
    const frames: ProfileNode[] = [];
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) frames.push(byId.get(at)!);
    stackOf.set(id, frames); // leaf first
    return frames;
  };
  const inRequest = (id: number) => stack(id).some((node) => REQUEST_FRAME.test(node.callFrame.url));
  let first = -1;
  let last = -1;
  profile.samples.forEach((id, index) => {
    if (inRequest(id)) {
      if (first < 0) first = index;
      last = index;
    }
  });
  if (first < 0)
    throw new Error('no sample of the profile is inside an Apollo request: was the service under load?');

  const self = new Map<string, { category: string; ms: number }>();
  const inclusive = new Map<string, { category: string; ms: number }>();
  const categorySelf = new Map<Category, number>();
  const categoryInclusive = new Map<Category, number>();
  const selected = new Map<string, number>();
  let busy = 0;
  let idle = 0;
  let window = 0;
  for (let index = first; index <= last; index += 1) {
    // A sample lasts until the next one.
    const ms = (profile.timeDeltas[index + 1] ?? 0) / 1000;
    window += ms;
    const frames = stack(profile.samples[index]!);
    const leaf = frames[0]!.callFrame;
    if (leaf.functionName === '(idle)') {
      idle += ms;
      continue;
    }
    busy += ms;
    let category: Category = 'other (Node internals, promises, timers)';
    for (const node of frames) {
      const found = categoryOf(node.callFrame);
      if (found) {
        category = found;
        break;
      }
    }
    categorySelf.set(category, (categorySelf.get(category) ?? 0) + ms);
    const seenCategories = new Set<Category>([category]);
    const leafName = frameName(leaf);
    const leafEntry = self.get(leafName) ?? { category, ms: 0 };
    leafEntry.ms += ms;
    self.set(leafName, leafEntry);
    const seenFrames = new Set<string>();
    for (const node of frames) {
      const name = frameName(node.callFrame);
      const own = categoryOf(node.callFrame);
      if (own) seenCategories.add(own);
      if (seenFrames.has(name) || node.callFrame.functionName === '(root)') continue;
      seenFrames.add(name);
      const entry = inclusive.get(name) ?? { category: own ?? '', ms: 0 };
      entry.ms += ms;
      inclusive.set(name, entry);
    }
    for (const seen of seenCategories) categoryInclusive.set(seen, (categoryInclusive.get(seen) ?? 0) + ms);
    for (const { label, pattern } of SELECTED) {
      if ([...seenFrames].some((name) => pattern.test(name)))
        selected.set(label, (selected.get(label) ?? 0) + ms);
    }
  }
  const ranked = (map: Map<string, { category: string; ms: number }>) =>
    [...map]
      .map(([frame, entry]) => ({ frame, category: entry.category, ms: entry.ms }))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top);
  return {
    windowMs: window,
    busyMs: busy,
    idleMs: idle,
    samples: last - first + 1,
    byCategory: CATEGORIES.map((category) => ({
      category,
      selfMs: categorySelf.get(category) ?? 0,
      inclusiveMs: categoryInclusive.get(category) ?? 0,
    })),
    topSelf: ranked(self),
    topInclusive: ranked(inclusive),
    selected: SELECTED.map(({ label }) => ({ label, ms: selected.get(label) ?? 0 })),
  };
}

export function renderSummary(summary: Summary, title: string, note = ''): string {
  const share = (ms: number) => `${((100 * ms) / summary.busyMs).toFixed(1)} %`;
  const ms = (value: number) => value.toFixed(0);
  const escape = (text: string) => text.replaceAll('|', '\\|');
  return [
    `# ${title}`,
    '',
    ...(note === '' ? [] : [note, '']),
    `Window: ${(summary.windowMs / 1000).toFixed(1)} s from the first to the last sample inside an Apollo request (${summary.samples} samples); busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s. Shares are of the busy time.`,
    '',
    '## By part of the request path',
    '',
    'Self: each sample counts for the innermost frame of a known part (builtins such as JSON.parse count for their caller), so the column sums to 100 %. Inclusive: samples with any frame of that part on the stack (overlapping).',
    '',
    '| part | self ms | self share | inclusive ms | inclusive share |',
    '|---|---|---|---|---|',
    ...summary.byCategory.map(
      (row) =>
        `| ${row.category} | ${ms(row.selfMs)} | ${share(row.selfMs)} | ${ms(row.inclusiveMs)} | ${share(row.inclusiveMs)} |`,
    ),
    '',
    '## Selected frames (inclusive)',
    '',
    '| what | ms | share |',
    '|---|---|---|',
    ...summary.selected.map((row) => `| ${row.label} | ${ms(row.ms)} | ${share(row.ms)} |`),
    '',
    '## Top frames by self time',
    '',
    '| frame | part | ms | share |',
    '|---|---|---|---|',
    ...summary.topSelf.map(
      (row) => `| ${escape(row.frame)} | ${row.category} | ${ms(row.ms)} | ${share(row.ms)} |`,
    ),
    '',
    '## Top frames by inclusive time',
    '',
    '| frame | part | ms | share |',
    '|---|---|---|---|',
    ...summary.topInclusive.map(
      (row) => `| ${escape(row.frame)} | ${row.category || '—'} | ${ms(row.ms)} | ${share(row.ms)} |`,
    ),
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const [input, output, title, note] = process.argv.slice(2);
  if (!input)
    throw new Error(
      'usage: bench/profileSummary.ts <profile.cpuprofile | directory> [out.md] [title] [note]',
    );
  let file = input;
  if (!input.endsWith('.cpuprofile')) {
    const names = (await readdir(input)).filter((name) => name.endsWith('.cpuprofile')).sort();
    if (names.length === 0) throw new Error(`no .cpuprofile in ${input}`);
    file = path.join(input, names[names.length - 1]!);
  }
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const markdown = renderSummary(summarise(profile), title ?? `CPU profile — ${path.basename(file)}`, note);
  if (output) await writeFile(output, markdown);
  process.stdout.write(markdown);
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
