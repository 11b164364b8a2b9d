import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';

import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import type express from 'express';

import { setPageSecurityHeaders } from './pageHeaders.js';

export const QUERIES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../queries');

export interface SavedOperation {
  /** File name under queries/, for example `chains.graphql`. */
  readonly file: string;
  /** The variables file's name without `.json` when the operation has several (`ic` for `gap-report.variables/ic.json`). */
  readonly variant: string | undefined;
  readonly query: string;
  /** Example variables (JSON text) from the variables file, if the operation has one. */
  readonly variables: string | undefined;
}

/**
 * The saved operations a newcomer should meet first, in this order: the welcome tab (cheap to run, headed by the
 * guide), then the plan's questions as a planner asks them (where the chains are weak, who would fill the gaps, what
 * depends on what, how far from the targets, and finding things).
 */
export const LEADING_OPERATIONS: readonly string[] = [
  'welcome.graphql',
  'gap-report.graphql',
  'ic-target-firms.graphql',
  'shiyao-upstream.graphql',
  'targets-vs-graph.graphql',
  'search.graphql',
];

/**
 * The explorer's order: the leading operations first, in their order, then the rest as they come (by file name).
 * Stable, so an operation's variants keep their order.
 */
export function explorerOrder<T extends { readonly file: string }>(
  operations: readonly T[],
  leading: readonly string[] = LEADING_OPERATIONS,
): T[] {
  const rank = (file: string) => {
    const index = leading.indexOf(file);
    return index === -1 ? leading.length : index;
  };
  return [...operations].sort((a, b) => rank(a.file) - rank(b.file));
}

/**
 * The saved example operations in queries/, in the explorer's order (see explorerOrder). An operation's example
 * variables live beside it, either as one `<name>.variables.json` or, for one operation run with several sets (the
 * gap report per chain), as `<name>.variables/<variant>.json`: each such file gives the operation once more, as its
 * own explorer tab.
 */
export function loadSavedOperations(directory: string = QUERIES_DIR): SavedOperation[] {
  return explorerOrder(loadSortedOperations(directory));
}

function loadSortedOperations(directory: string): SavedOperation[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .flatMap((file): SavedOperation[] => {
      const query = readFileSync(path.join(directory, file), 'utf8');
      const variants = path.join(directory, file.replace(/\.graphql$/, '.variables'));
      if (existsSync(variants)) {
        return readdirSync(variants)
          .filter((name) => name.endsWith('.json'))
          .sort()
          .map((name) => ({
            file,
            variant: name.replace(/\.json$/, ''),
            query,
            variables: readFileSync(path.join(variants, name), 'utf8'),
          }));
      }
      const single = `${variants}.json`;
      const variables = existsSync(single) ? readFileSync(single, 'utf8') : undefined;
      return [{ file, variant: undefined, query, variables }];
    });
}

/** The plan's questions, each with the saved operations (by file) that answer it, for the guide on the first tab. */
const QUESTIONS: readonly { readonly question: string; readonly files: readonly string[] }[] = [
  {
    question: 'Where is each chain weak or broken (补链 · 强链), and how critical is each gap?',
    files: ['gap-report.graphql', 'chain-resilience.graphql'],
  },
  {
    question: 'Who would fill a gap (产业链招商), and with which incentives?',
    files: ['ic-target-firms.graphql'],
  },
  {
    question: 'What depends on what, upstream and downstream?',
    files: ['shiyao-upstream.graphql', 'chain-structure.graphql', 'impact-of-losing-zhongci.graphql'],
  },
  { question: "How far is the city from the plan's targets?", files: ['targets-vs-graph.graphql'] },
  { question: 'How does it compare with another region?', files: ['nev-shijiazhuang-vs-tianjin.graphql'] },
  { question: 'Where is a firm, segment, platform or policy measure?', files: ['search.graphql'] },
];

/** The name a tab shows: the operation's name, with its variables' variant (the chain of a gap report). */
export function tabLabel(operation: SavedOperation): string {
  const name = /^\s*(?:query|mutation|subscription)\s+(\w+)/m.exec(operation.query)?.[1] ?? operation.file;
  return operation.variant === undefined ? name : `${name} (${operation.variant})`;
}

/** Tab numbers as a reader counts them: `1–5` for a run, `7` for one. */
function tabNumbers(operations: readonly SavedOperation[], file: string): string | undefined {
  const numbers = operations.flatMap((operation, index) => (operation.file === file ? [index + 1] : []));
  if (numbers.length === 0) return undefined;
  return numbers.length === 1 ? String(numbers[0]) : `${numbers[0]}–${numbers[numbers.length - 1]}`;
}

/** First sentence of an operation's leading comment: what it answers, in a few words. */
function summary(operation: SavedOperation): string {
  const comment = /^#\s*(.*)$/m.exec(operation.query)?.[1] ?? '';
  const sentence = (/^(.*?[.?!:])(\s|$)/.exec(comment)?.[1] ?? comment).replace(/:$/, '');
  return sentence.length > 90 ? `${sentence.slice(0, 89)}…` : sentence;
}

/**
 * The guide on the explorer's first tab, as GraphQL comments above the first operation (so the tab still runs): what
 * the service answers, which tab answers which of the plan's questions, and every tab in order.
 */
export function explorerGuide(operations: readonly SavedOperation[]): string {
  const questions = QUESTIONS.flatMap(({ question, files }) => {
    const tabs = files.flatMap((file) => {
      const numbers = tabNumbers(operations, file);
      const operation = operations.find((candidate) => candidate.file === file);
      return numbers === undefined || operation === undefined
        ? []
        : [`tab ${numbers} ${tabLabel({ ...operation, variant: undefined })}`];
    });
    return tabs.length === 0 ? [] : [`#   · ${question}`, `#       → ${tabs.join(', ')}`];
  });
  const width = String(operations.length).length;
  return [
    "# Welcome. This service is a knowledge graph of Shijiazhuang's industrial chains, built from the 2018–2020",
    "# strategic emerging industry plan and public data. It answers the plan's questions:",
    ...questions,
    '#',
    '# The tabs above hold these questions as ready-made operations, in this order:',
    ...operations.map((operation, index) => {
      // An operation's further variants (the gap report of another chain) need no second description.
      const about = operations[index - 1]?.file === operation.file ? '' : summary(operation);
      return `#   ${String(index + 1).padStart(width)}  ${tabLabel(operation)}${about ? ` — ${about}` : ''}`;
    }),
    '#',
    "# Press ▶ (Ctrl+Enter) to run the operation below, then open the next tab. Each tab's example variables",
    '# are in the Variables pane; the Docs button lists every type and field. Answers rest on real data (PLAN,',
    '# PUBLIC) unless `sources` adds ILLUSTRATIVE (the demo firms). The chain map is at /map.',
    '',
  ].join('\n');
}

/**
 * The explorer: GraphiQL inlined into one HTML page from our own node_modules (no CDN, so it works offline),
 * opening with one tab per saved operation, the first of them headed by the guide (explorerGuide).
 */
export function renderExplorer(endpoint: string, operations: readonly SavedOperation[]): string {
  const guide = explorerGuide(operations);
  const tabs = operations.map((operation, index) => ({
    query: index === 0 ? `${guide}\n${operation.query}` : operation.query,
    ...(operation.variables ? { variables: operation.variables } : {}),
  }));
  // The options object is forwarded to GraphiQL as it is; `defaultTabs` is one of GraphiQL's own props.
  return renderGraphiQL({
    title: 'Industrial-chain knowledge graph — GraphQL explorer',
    endpoint,
    defaultQuery: tabs[0]?.query ?? `${guide}{ serviceInfo { name version } }`,
    // GraphiQL fills the open tab's variables editor from this, not from defaultTabs[0]: without it, the first tab
    // (a gap report, whose chain comes from its variables) would run with none.
    ...(tabs[0]?.variables === undefined ? {} : { variables: tabs[0].variables }),
    // Passed through to GraphiQL: one tab per saved operation.
    defaultTabs: tabs,
  });
}

// Inline <script> elements (no src attribute) and their text, exactly as the browser hashes it.
const INLINE_SCRIPT = /<script\b(?![^>]*\bsrc\s*=)[^>]*>([\s\S]*?)<\/script>/gi;

/** CSP source expressions ('sha256-…') for each inline script of a page. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(INLINE_SCRIPT)].map(([, text]) => {
    const hash = createHash('sha256').update(text ?? '', 'utf8');
    return `'sha256-${hash.digest('base64')}'`;
  });
}

/**
 * Everything the explorer loads is in the page or comes from this origin; it talks to /graphql only. Its two inline
 * scripts are allowed by hash (computed from the page as served), never by 'unsafe-inline'. Styles need
 * 'unsafe-inline': GraphiQL's editor (Monaco) creates <style> elements at run time, which no hash can name; a style
 * cannot run code. Monaco's language workers are started from blob: URLs the page makes itself; fonts and icons are
 * inlined as data: URLs.
 */
export function explorerContentSecurityPolicy(html: string): string {
  return [
    "default-src 'self'",
    `script-src 'self' ${inlineScriptHashes(html).join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src 'self' blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export type ContentEncoding = 'br' | 'gzip' | 'identity';

const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);

/**
 * The explorer page (about 9 MB: GraphiQL, Monaco and their fonts inlined) and its compressed forms. Each encoding
 * is compressed once, on first request, off the event loop, and kept: tests and deployments that never open the
 * explorer do not pay for it, and GraphQL responses are not compressed at all (they are small, and under load the
 * CPU is better spent answering). Brotli at quality 7 and gzip at level 6: the highest settings shrink the page by
 * a few more percent for ten to thirty times the CPU. The policy's script hashes are computed on first request too
 * (about 0.1 s over 9 MB), once.
 */
export class ExplorerPage {
  private prepared: { readonly html: Buffer; readonly contentSecurityPolicy: string } | undefined;
  private readonly encoded = new Map<Exclude<ContentEncoding, 'identity'>, Promise<Buffer>>();

  constructor(private readonly text: string) {}

  private get page(): { readonly html: Buffer; readonly contentSecurityPolicy: string } {
    this.prepared ??= {
      html: Buffer.from(this.text, 'utf8'),
      contentSecurityPolicy: explorerContentSecurityPolicy(this.text),
    };
    return this.prepared;
  }

  get contentSecurityPolicy(): string {
    return this.page.contentSecurityPolicy;
  }

  body(encoding: ContentEncoding): Promise<Buffer> {
    const { html } = this.page;
    if (encoding === 'identity') return Promise.resolve(html);
    let body = this.encoded.get(encoding);
    if (body === undefined) {
      body =
        encoding === 'br'
          ? brotli(html, {
              params: {
                [zlib.constants.BROTLI_PARAM_QUALITY]: 7,
                [zlib.constants.BROTLI_PARAM_SIZE_HINT]: html.length,
              },
            })
          : gzip(html, { level: 6 });
      // A failed compression is not kept: the next request tries again.
      body.catch(() => this.encoded.delete(encoding));
      this.encoded.set(encoding, body);
    }
    return body;
  }

  /** Sends the page with its security headers, in the best encoding the request accepts. */
  async send(request: express.Request, response: express.Response): Promise<void> {
    // Brotli whenever it is accepted at all (it is about a fifth smaller here), whatever order the client lists.
    const encoding: ContentEncoding =
      request.acceptsEncodings('br') === 'br'
        ? 'br'
        : request.acceptsEncodings('gzip') === 'gzip'
          ? 'gzip'
          : 'identity';
    const body = await this.body(encoding);
    setPageSecurityHeaders(response, this.contentSecurityPolicy);
    response.setHeader('vary', 'Accept-Encoding');
    response.setHeader('cache-control', 'no-cache');
    if (encoding !== 'identity') response.setHeader('content-encoding', encoding);
    response.type('html').send(body);
  }
}
