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
