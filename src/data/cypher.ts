/**
 * A Cypher statement with its parameters, built by a pure function and run by the Executor. Values always go in
 * `params`; the statement text is assembled only from fixed fragments, allow-listed labels and relationship types,
 * and validated integers (see `labels.ts`).
 */
export interface CypherQuery {
  readonly cypher: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export function cypher(text: string, params: Record<string, unknown> = {}): CypherQuery {
  return { cypher: text, params };
}
