import mapChainDocument from '../../../queries/map-chain.graphql';
import mapOptionsDocument from '../../../queries/map-options.graphql';
import mapSegmentDocument from '../../../queries/map-segment.graphql';
import type {
  MapChainQuery,
  MapChainQueryVariables,
  MapOptionsQuery,
  MapOptionsQueryVariables,
  MapSegmentQuery,
  MapSegmentQueryVariables,
} from '../../../src/graphql/generated/operations.js';

export const GRAPHQL_ENDPOINT = '/graphql';

/** A failed request, with text a planner can read (the GraphQL error messages, or what went wrong on the wire). */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly codes: readonly string[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

interface GraphQLResponse<TData> {
  readonly data?: TData | null;
  readonly errors?: readonly { readonly message: string; readonly extensions?: { readonly code?: string } }[];
}

async function execute<TData, TVariables>(
  document: string,
  operationName: string,
  variables: TVariables,
  signal?: AbortSignal,
): Promise<TData> {
  let response: Response;
  try {
    response = await fetch(GRAPHQL_ENDPOINT, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/graphql-response+json, application/json',
      },
      body: JSON.stringify({ query: document, operationName, variables }),
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(error instanceof Error ? error.message : String(error));
  }
  let body: GraphQLResponse<TData>;
  try {
    body = (await response.json()) as GraphQLResponse<TData>;
  } catch {
    throw new ApiError(`HTTP ${response.status} ${response.statusText}`.trim());
  }
  // Any error makes the answer unusable for the map, so partial data is not shown half-drawn.
  if (body.errors && body.errors.length > 0) {
    throw new ApiError(
      body.errors.map((error) => error.message).join('; '),
      body.errors.map((error) => error.extensions?.code ?? 'UNKNOWN'),
    );
  }
  if (!response.ok || body.data === undefined || body.data === null) {
    throw new ApiError(`HTTP ${response.status} ${response.statusText}`.trim());
  }
  return body.data;
}

export function fetchOptions(
  variables: MapOptionsQueryVariables,
  signal?: AbortSignal,
): Promise<MapOptionsQuery> {
  return execute(mapOptionsDocument, 'MapOptions', variables, signal);
}

export function fetchChain(variables: MapChainQueryVariables, signal?: AbortSignal): Promise<MapChainQuery> {
  return execute(mapChainDocument, 'MapChain', variables, signal);
}

export function fetchSegment(
  variables: MapSegmentQueryVariables,
  signal?: AbortSignal,
): Promise<MapSegmentQuery> {
  return execute(mapSegmentDocument, 'MapSegment', variables, signal);
}
