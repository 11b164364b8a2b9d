import { randomUUID } from 'node:crypto';

import { cypher, type CypherQuery } from './cypher.js';
import { InternalLabel as I, NodeLabel as L, RelationshipType as T } from './model.js';

/**
 * The change log of the analytics aggregates (src/analytics/aggregates.ts): every upsert transaction that creates or
 * changes a firm, a platform or the region / segment structure records, in the same transaction, which home regions
 * it touched. The aggregate refresh recounts those homes and deletes the records it consumed.
 */

export interface TouchedNodes {
  readonly enterpriseIds: readonly string[];
  readonly platformIds: readonly string[];
  /** The region or segment structure changed: every cell must be recounted. */
  readonly structural: boolean;
  /**
   * The shape the analytics cache per process changed (segments, chains, regions or the links between them): the
   * structure version must move (see bumpStructureVersionQuery).
   */
  readonly shape: boolean;
}

/**
 * The home regions whose cells a write to these firms and platforms can change: their own homes, and the homes of
 * the firms they supply (a supplier's segments and location decide how its buyers' supply edges count). Run before
 * and after the write, so a firm that moves is recounted in both homes.
 */
export function touchedHomesQuery(touched: TouchedNodes): CypherQuery {
  return cypher(
    `RETURN COLLECT {
       UNWIND $enterpriseIds AS id
       MATCH (:${L.Enterprise} { id: id })-[:${T.LOCATED_IN}]->(h:${L.Region}) RETURN h.id AS homeId
       UNION
       UNWIND $enterpriseIds AS id
       MATCH (:${L.Enterprise} { id: id })-[:${T.SUPPLIES}]->(:${L.Enterprise})-[:${T.LOCATED_IN}]->(h:${L.Region}) RETURN h.id AS homeId
       UNION
       UNWIND $platformIds AS id
       MATCH (:${L.Platform} { id: id })-[:${T.LOCATED_IN}]->(h:${L.Region}) RETURN h.id AS homeId
     } AS homeIds`,
    { enterpriseIds: touched.enterpriseIds, platformIds: touched.platformIds },
  );
}

export function recordChangeQuery(touched: TouchedNodes, homeIds: readonly string[]): CypherQuery {
  return cypher(
    `CREATE (:${I.AggregateChange} {
       id: $id, at: datetime(), structural: $structural, homeIds: $homeIds, enterpriseIds: $enterpriseIds
     })`,
    {
      id: randomUUID(),
      structural: touched.structural,
      homeIds: [...new Set(homeIds)].sort(),
      enterpriseIds: [...new Set(touched.enterpriseIds)].sort(),
    },
  );
}

/** The id of the state node whose `version` counts the writes to the chains' shape. */
export const STRUCTURE_STATE_ID = 'structure';

/**
 * Moves the structure version on, in the writing transaction: processes that cached the chains' structure
 * (src/analytics/structureCache.ts) see the new version on their next analytics request and read it again. A node
 * of its own, not the aggregates' state node, whose lock a refresh holds for as long as it runs.
 */
export function bumpStructureVersionQuery(): CypherQuery {
  return cypher(
    `MERGE (s:${I.AggregateState} { id: $id })
     SET s.version = coalesce(s.version, 0) + 1`,
    { id: STRUCTURE_STATE_ID },
  );
}
