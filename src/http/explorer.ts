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
 * The saved example operations in queries/, sorted by file name. An operation's example variables live beside it,
 * either as one `<name>.variables.json` or, for one operation run with several sets (the gap report per chain), as
 * `<name>.variables/<variant>.json`: each such file gives the operation once more, as its own explorer tab.
 */
export function loadSavedOperations(directory: string = QUERIES_DIR): SavedOperation[] {
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

/**
 * The explorer: GraphiQL inlined into one HTML page from our own node_modules (no CDN, so it works offline),
 * opening with one tab per saved operation.
 */
export function renderExplorer(endpoint: string, operations: readonly SavedOperation[]): string {
  // The options object is forwarded to GraphiQL as it is; `defaultTabs` is one of GraphiQL's own props.
  return renderGraphiQL({
    title: 'Industrial-chain knowledge graph — GraphQL explorer',
    endpoint,
    defaultQuery: operations[0]?.query ?? '{ serviceInfo { name version } }',
    // Passed through to GraphiQL: one tab per saved operation.
    defaultTabs: operations.map((operation) => ({
      query: operation.query,
      ...(operation.variables ? { variables: operation.variables } : {}),
    })),
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
