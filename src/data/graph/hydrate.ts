import type { CypherQuery } from '../cypher.js';
import type { Executor } from '../executor.js';
import type { Projection } from './queries.js';
import { selectionKey, selectionsAt, type Selection } from './selection.js';
import { GRAPH_SPEC, LABEL_OF_TYPE } from './spec.js';
import { assertPagesComplete, CypherScope, projectNode, type TranslationLimits } from './translate.js';

/**
 * Analytics compute over facts and return ids; the nodes they mention are then projected for the client's
 * selection here, all of them in ONE statement. So an analytics root field costs a fixed number of round trips
 * (facts, then hydration), never one per row.
 *
 * Every path of the selection that shows a node gets its own projection: `gaps.a` and `gaps.b`, two aliases of
 * `localEnterprises` with different sub-selections, are two projections (identical selections share one). The
 * analytics results hold node references, and the field resolver picks the projection made for the path it is
 * resolving (`resolveNodeRefs`).
 */

export interface HydrationRequest {
  readonly typeName: string;
  readonly ids: readonly string[];
  /** Field names from the root field's selection down to the node field, e.g. `['gaps', 'localEnterprises']`. */
  readonly at: readonly string[];
}

const NODE_REF = Symbol('node reference');

/** A node of an analytics result, projected later for the path where the client selected it. */
export type NodeRef = Projection & { readonly [NODE_REF]: { readonly nodes: Hydrated; readonly id: string } };

export function isNodeRef(value: unknown): value is NodeRef {
  return typeof value === 'object' && value !== null && NODE_REF in value;
}

/** One projection of one type for one distinct selection, shared by every path with that selection. */
interface Group {
  readonly typeName: string;
  readonly selection: Selection;
  readonly ids: Set<string>;
}

export class Hydrated {
  constructor(
    /** The group index of each path (response keys joined by dots). */
    private readonly groupOfPath: ReadonlyMap<string, number>,
    private readonly byGroup: readonly ReadonlyMap<string, Projection>[],
  ) {}

  /** A reference to the node `id`, resolved per path by the field resolver. */
  ref(id: string): NodeRef {
    const ref: NodeRef = { [NODE_REF]: { nodes: this, id } };
    return ref;
  }

  /** The projection of a node at a path; an empty object when nothing of it was selected there. */
  at(path: string, id: string): Projection {
    const group = this.groupOfPath.get(path);
    return (group === undefined ? undefined : this.byGroup[group]?.get(id)) ?? {};
  }
}

/** Replaces node references in a value read by the field resolver at `path` with their projections there. */
export function resolveNodeRefs(value: unknown, path: string): unknown {
  if (isNodeRef(value)) return value[NODE_REF].nodes.at(path, value[NODE_REF].id);
  if (Array.isArray(value) && value.some(isNodeRef)) {
    return (value as unknown[]).map((item) =>
      isNodeRef(item) ? item[NODE_REF].nodes.at(path, item[NODE_REF].id) : item,
    );
  }
  return value;
}

interface Plan {
  readonly groups: readonly Group[];
  readonly groupOfPath: ReadonlyMap<string, number>;
}

/** Expands requests by field names into one per path of response keys, grouped by identical selection. */
export function hydrationPlan(selection: Selection, requests: readonly HydrationRequest[]): Plan {
  const groups: Group[] = [];
  const groupOfKey = new Map<string, number>();
  const groupOfPath = new Map<string, number>();
  for (const request of requests) {
    if (request.ids.length === 0) continue;
    for (const found of selectionsAt(selection, request.at)) {
      if (found.selection.size === 0) continue;
      const path = found.path.join('.');
      const key = `${request.typeName}|${selectionKey(found.selection)}`;
      let index = groupOfKey.get(key);
      if (index === undefined) {
        index = groups.length;
        groups.push({ typeName: request.typeName, selection: found.selection, ids: new Set() });
        groupOfKey.set(key, index);
      }
      // A path may be asked for twice (a node type reached from two roads of the result): the ids add up.
      const existing = groupOfPath.get(path);
      if (existing !== undefined && existing !== index) {
        throw new Error(`Path ${path} hydrated with two selections`);
      }
      groupOfPath.set(path, index);
      request.ids.forEach((id) => groups[index]!.ids.add(id));
    }
  }
  return { groups, groupOfPath };
}

export function hydrationQuery(plan: Plan, limits: TranslationLimits): CypherQuery | null {
  const calls = hydrationCalls(plan, limits);
  if (calls === null) return null;
  return {
    cypher: `${calls.cypher}\nRETURN ${plan.groups.map((_, index) => `h${index}`).join(', ')}`,
    params: calls.params,
  };
}

/** The CALL subqueries of a hydration (one per group, returning column `h<index>`), or null when there is none. */
function hydrationCalls(plan: Plan, limits: TranslationLimits): CypherQuery | null {
  if (plan.groups.length === 0) return null;
  const scope = new CypherScope(limits);
  const calls = plan.groups.map((group, index) => {
    const label = LABEL_OF_TYPE[group.typeName];
    if (!label) throw new Error(`Type ${group.typeName} is not stored as a node`);
    const ids = [...group.ids];
    const projection = scope.list(ids.length, () =>
      projectNode(GRAPH_SPEC, group.typeName, 'n', group.selection, scope),
    ).result;
    return `CALL { MATCH (n:${label}) WHERE n.id IN ${scope.param(ids)}
      RETURN collect([n.id, ${projection}]) AS h${index} }`;
  });
  scope.assertBudget();
  return { cypher: calls.join('\n'), params: scope.params };
}

/**
 * The hydration as a part of another statement (an analytics fact read whose ids are known in advance), so that the
 * root field costs one round trip: `query` holds only CALL subqueries (parameters `$p…`, columns `h…`) to put before
 * that statement's RETURN, `columns` what to add to the RETURN, and `from` reads the projections back from its row.
 * Null `query` when nothing is to be projected.
 */
export function hydrationPart(
  selection: Selection,
  requests: readonly HydrationRequest[],
  limits: TranslationLimits,
): {
  query: CypherQuery | null;
  columns: string[];
  from: (row: Record<string, unknown> | undefined) => Hydrated;
} {
  const plan = hydrationPlan(selection, requests);
  const query = hydrationCalls(plan, limits);
  return {
    query,
    columns: query === null ? [] : plan.groups.map((_, index) => `h${index}`),
    from: (row) => {
      // A nested page over a hub read short is refused wherever the hydration ran (see translate.ts hubPage).
      if (query !== null) assertPagesComplete(query, row);
      return new Hydrated(
        plan.groupOfPath,
        plan.groups.map(
          (_, index) => new Map((row?.[`h${index}`] as [string, Projection][] | undefined) ?? []),
        ),
      );
    },
  };
}

export async function hydrate(
  executor: Executor,
  selection: Selection,
  requests: readonly HydrationRequest[],
  limits: TranslationLimits,
): Promise<Hydrated> {
  const part = hydrationPart(selection, requests, limits);
  if (part.query === null) return part.from(undefined);
  const [row] = await executor.read('hydrate', {
    cypher: `${part.query.cypher}\nRETURN ${part.columns.join(', ')}`,
    params: part.query.params,
  });
  return part.from(row);
}
