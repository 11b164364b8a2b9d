import type { CypherQuery } from '../cypher.js';
import type { Executor } from '../executor.js';
import type { Projection } from './queries.js';
import { mergedSelection, selectedFields, type Selection } from './selection.js';
import { GRAPH_SPEC, LABEL_OF_TYPE } from './spec.js';
import { CypherScope, projectNode, type TranslationLimits } from './translate.js';

/**
 * Analytics compute over facts and return ids; the nodes they mention are then projected for the client's
 * selection here, all types in ONE statement. So an analytics root field costs a fixed number of round trips
 * (facts, then hydration), never one per row.
 */

export interface HydrationRequest {
  readonly typeName: string;
  readonly ids: readonly string[];
  readonly selection: Selection;
}

export class Hydrated {
  constructor(private readonly byType: ReadonlyMap<string, ReadonlyMap<string, Projection>>) {}

  /** The projection of a node; an empty object when nothing of it was selected. */
  get(typeName: string, id: string): Projection {
    return this.byType.get(typeName)?.get(id) ?? {};
  }
}

/** The merged selection found by following field names from a selection (across every alias). */
export function selectionAt(selection: Selection, path: readonly string[]): Selection {
  let current: Selection[] = [selection];
  for (const field of path) {
    current = current.flatMap((level) =>
      selectedFields(level, field).map(([, selected]) => selected.selection),
    );
  }
  return mergedSelection(current);
}

export function hydrationQuery(
  requests: readonly HydrationRequest[],
  limits: TranslationLimits,
): CypherQuery | null {
  const wanted = requests.filter((request) => request.ids.length > 0 && request.selection.size > 0);
  if (wanted.length === 0) return null;
  const scope = new CypherScope(limits);
  const calls = wanted.map((request, index) => {
    const label = LABEL_OF_TYPE[request.typeName];
    if (!label) throw new Error(`Type ${request.typeName} is not stored as a node`);
    return `CALL { MATCH (n:${label}) WHERE n.id IN ${scope.param([...new Set(request.ids)])}
      RETURN collect([n.id, ${projectNode(GRAPH_SPEC, request.typeName, 'n', request.selection, scope)}]) AS h${index} }`;
  });
  return {
    cypher: `${calls.join('\n')}\nRETURN ${wanted.map((_, index) => `h${index}`).join(', ')}`,
    params: scope.params,
  };
}

export async function hydrate(
  executor: Executor,
  requests: readonly HydrationRequest[],
  limits: TranslationLimits,
): Promise<Hydrated> {
  const query = hydrationQuery(requests, limits);
  if (query === null) return new Hydrated(new Map());
  const [row] = await executor.read('hydrate', query);
  const wanted = requests.filter((request) => request.ids.length > 0 && request.selection.size > 0);
  const byType = new Map<string, Map<string, Projection>>();
  wanted.forEach((request, index) => {
    const entries = (row?.[`h${index}`] as [string, Projection][] | undefined) ?? [];
    const map = byType.get(request.typeName) ?? new Map<string, Projection>();
    for (const [id, projection] of entries) map.set(id, { ...(map.get(id) ?? {}), ...projection });
    byType.set(request.typeName, map);
  });
  return new Hydrated(byType);
}
