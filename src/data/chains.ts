import { cypher, type CypherQuery } from './cypher.js';
import type { Executor } from './executor.js';
import { NodeLabel } from './model.js';
import { provenanceOf } from './projections.js';
import type { ChainRecord } from './records.js';

const chainProjection = `c { .id, .name, .nameEn, .description, provenance: ${provenanceOf('c')} }`;

export function listChainsQuery(options: { excludeIllustrative: boolean }): CypherQuery {
  return cypher(
    `MATCH (c:${NodeLabel.IndustrialChain})
     WHERE NOT ($excludeIllustrative AND c.source = 'ILLUSTRATIVE')
     RETURN ${chainProjection} AS chain
     ORDER BY c.id`,
    { excludeIllustrative: options.excludeIllustrative },
  );
}

export function chainByIdQuery(id: string): CypherQuery {
  return cypher(`MATCH (c:${NodeLabel.IndustrialChain} { id: $id }) RETURN ${chainProjection} AS chain`, {
    id,
  });
}

export async function listChains(
  executor: Executor,
  options: { excludeIllustrative: boolean },
): Promise<ChainRecord[]> {
  const rows = await executor.read('chains', listChainsQuery(options));
  return rows.map((row) => row['chain'] as ChainRecord);
}

export async function chainById(executor: Executor, id: string): Promise<ChainRecord | null> {
  const rows = await executor.read('chain', chainByIdQuery(id));
  return (rows[0]?.['chain'] as ChainRecord | undefined) ?? null;
}
