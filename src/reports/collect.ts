import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import type { ApolloServer } from '@apollo/server';
import type { GraphQLFormattedError } from 'graphql';

import { roleAtLeast } from '../auth.js';
import { AppError, ErrorCode } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import type { ChainReportQuery, ChainReportQueryVariables } from '../graphql/generated/operations.js';
import { COUNTRY_ID } from '../seed/pack/regions.js';

/** The saved operation every report runs (queries/chain-report.graphql), read once: codegen validated it. */
const CHAIN_REPORT_FILE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../queries/chain-report.graphql',
);
let chainReportDocument: string | undefined;
function chainReportOperation(): string {
  chainReportDocument ??= readFileSync(CHAIN_REPORT_FILE, 'utf8');
  return chainReportDocument;
}

export type ChainReportData = ChainReportQuery & { chainGaps: NonNullable<ChainReportQuery['chainGaps']> };

/** What a report was asked for, as the URL gave it. */
export interface ChainReportRequest {
  readonly chainId: string;
  readonly regionId: string;
  /** Null: the operation's default (real data only). */
  readonly sources: readonly string[] | null;
  /** How many target firms (the operation's default when null). */
  readonly first: number | null;
  /** The regions to compare the region with (default: the nation). Empty: no comparison. */
  readonly compareWith: readonly string[];
}

export interface ChainReport {
  readonly request: ChainReportRequest;
  readonly data: ChainReportData;
  /** False when the caller may not read contact details (the pipeline refused every `contact` it selected). */
  readonly contactsReadable: boolean;
  /** When the answer was produced (ISO 8601). */
  readonly generatedAt: string;
}

/** A report refused: the GraphQL errors as the pipeline gave them, and the HTTP status to answer with. */
export class ReportError extends Error {
  constructor(
    readonly status: number,
    readonly errors: readonly GraphQLFormattedError[],
    readonly headers: ReadonlyMap<string, string> = new Map(),
  ) {
    super(errors.map((error) => error.message).join('; '));
  }
}

/** The status a refusal is answered with when the pipeline set none (the codes of src/errors.ts). */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  [ErrorCode.BAD_USER_INPUT]: 400,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.QUERY_TOO_COMPLEX]: 400,
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.TIMEOUT]: 504,
  [ErrorCode.DATABASE_UNAVAILABLE]: 503,
  [ErrorCode.SERVICE_BUSY]: 503,
  GRAPHQL_VALIDATION_FAILED: 400,
};

export function statusOfCode(code: unknown): number {
  return (typeof code === 'string' ? STATUS_OF_CODE[code] : undefined) ?? 500;
}

function badInput(parameter: string, message: string): ReportError {
  return new ReportError(400, [
    {
      message: `Parameter '${parameter}': ${message}`,
      extensions: { code: ErrorCode.BAD_USER_INPUT, parameter },
    },
  ]);
}

/** Most ids a list parameter may hold (compareRegions takes at most 10 regions, the region itself included). */
const MAX_LIST_ITEMS = 9;

type Query = Readonly<Record<string, unknown>>;

function single(query: Query, name: string): string | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  // Express gives an array for `?a=1&a=2` and an object for `?a[b]=1`: neither is one value.
  if (typeof value !== 'string') throw badInput(name, 'give it once, as a plain value');
  return value;
}

function list(query: Query, name: string): string[] | null {
  const value = single(query, name);
  if (value === undefined || value.trim() === '') return null;
  const items = value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  if (items.length > MAX_LIST_ITEMS)
    throw badInput(name, `give at most ${MAX_LIST_ITEMS} comma-separated values`);
  return items;
}

/**
 * Reads a report's parameters from the URL. Only their shape is checked here (present, given once); whether the
 * chain, the region and the sources exist is for the GraphQL pipeline to say, with the same messages as /graphql.
 */
export function parseReportRequest(query: Query): ChainReportRequest {
  const chainId = single(query, 'chainId');
  if (chainId === undefined || chainId.trim() === '') throw badInput('chainId', 'required, for example ic');
  const regionId = single(query, 'regionId');
  if (regionId === undefined || regionId.trim() === '') {
    throw badInput('regionId', 'required, for example shijiazhuang');
  }
  const firstText = single(query, 'first');
  let first: number | null = null;
  if (firstText !== undefined) {
    if (!/^\d{1,6}$/.test(firstText)) throw badInput('first', 'give a whole number of target firms');
    first = Number(firstText);
  }
  const compareWith = list(query, 'compareWith');
  return {
    chainId,
    regionId,
    sources: list(query, 'sources'),
    first,
    compareWith: compareWith ?? (regionId === COUNTRY_ID ? [] : [COUNTRY_ID]),
  };
}

/** True for the refusal of a contact field to a caller without the viewer role: the report leaves those empty. */
function isContactRefusal(error: GraphQLFormattedError): boolean {
  const last = error.path?.[error.path.length - 1];
  return error.extensions?.['code'] === ErrorCode.UNAUTHENTICATED && last === 'contact';
}

/**
 * Runs the ChainReport operation through the server's own pipeline (Apollo's executeOperation with the caller's
 * context): the same validation, cost and argument limits, admission control, deadline and access rules as a POST
 * to /graphql. A client's mistake comes back as a ReportError with the pipeline's BAD_USER_INPUT.
 */
export async function collectChainReport(
  apollo: ApolloServer<GraphQLContext>,
  contextValue: GraphQLContext,
  request: ChainReportRequest,
): Promise<ChainReport> {
  // Contact details are asked for only where the caller's role lets it read them (the resolver's own rule,
  // src/graphql/resolvers/enterprise.ts); the pipeline still enforces it, and any refusal leaves the cells empty.
  const withContact = roleAtLeast(contextValue.caller?.role ?? null, 'viewer');
  const variables: Record<string, unknown> = {
    withContact,
    chainId: request.chainId,
    regionId: request.regionId,
    compareRegionIds: [request.regionId, ...request.compareWith],
    withComparison: request.compareWith.length > 0,
  };
  if (request.sources !== null) variables['sources'] = request.sources;
  if (request.first !== null) variables['first'] = request.first;
  const response = await apollo.executeOperation<ChainReportQuery, ChainReportQueryVariables>(
    {
      query: chainReportOperation(),
      operationName: 'ChainReport',
      variables: variables as ChainReportQueryVariables,
    },
    { contextValue },
  );
  if (response.body.kind !== 'single') {
    throw new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'The report operation answered incrementally');
  }
  const { data, errors = [] } = response.body.singleResult;
  const refusals = errors.filter((error) => !isContactRefusal(error));
  if (refusals.length > 0 || !data?.chainGaps) {
    const first = refusals[0];
    const status =
      response.http.status !== undefined && response.http.status >= 400
        ? response.http.status
        : statusOfCode(first?.extensions?.['code']);
    const headers = new Map<string, string>();
    for (const [name, value] of response.http.headers) {
      if (name === 'retry-after' || name === 'www-authenticate') headers.set(name, value);
    }
    throw new ReportError(status, refusals.length > 0 ? refusals : errors, headers);
  }
  return {
    request,
    data,
    contactsReadable: withContact && errors.length === 0,
    generatedAt: new Date().toISOString(),
  };
}
