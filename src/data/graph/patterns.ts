import { MAX_REGION_DEPTH, NodeLabel as L, RelationshipType as T } from '../model.js';

/** The node is located in the region (a parameter or expression giving its id) or one of its sub-regions. */
export function locatedIn(node: string, regionId: string): string {
  return `EXISTS { (${node})-[:${T.LOCATED_IN}]->(:${L.Region})-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(:${L.Region} { id: ${regionId} }) }`;
}

/** The document a SUPPLIES relationship rests on (SupplyEvidence), or null when it names none. */
export const supplyEvidence = (variable: string): string =>
  `CASE WHEN ${variable}.evidenceKind IS NULL THEN null ELSE { kind: ${variable}.evidenceKind, title: ${variable}.evidenceTitle, year: ${variable}.evidenceYear, url: ${variable}.evidenceUrl } END`;
