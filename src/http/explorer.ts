import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { renderGraphiQL } from '@graphql-yoga/render-graphiql';

export const QUERIES_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../queries');

export interface SavedOperation {
  /** File name under queries/, for example `chains.graphql`. */
  readonly file: string;
  readonly query: string;
  /** Example variables from an optional sibling `<name>.variables.json`. */
  readonly variables: string | undefined;
}

/** The saved example operations in queries/, sorted by file name. */
export function loadSavedOperations(directory: string = QUERIES_DIR): SavedOperation[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.graphql'))
    .sort()
    .map((file) => {
      const variablesFile = path.join(directory, file.replace(/\.graphql$/, '.variables.json'));
      let variables: string | undefined;
      try {
        variables = readFileSync(variablesFile, 'utf8');
      } catch {
        variables = undefined;
      }
      return { file, query: readFileSync(path.join(directory, file), 'utf8'), variables };
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
