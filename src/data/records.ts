import type { ProvenanceSource } from './model.js';

/**
 * Plain, database-shaped records the data layer returns. GraphQL mappers point at these, so resolvers for
 * nested fields receive exactly what the Cypher projection produced.
 */
export interface ProvenanceRecord {
  source: ProvenanceSource;
  section: string | null;
  note: string | null;
}

export interface ChainRecord {
  id: string;
  name: string;
  nameEn: string | null;
  description: string | null;
  provenance: ProvenanceRecord;
}
