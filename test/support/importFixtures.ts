import { expect } from 'vitest';

import { cypher } from '../../src/data/cypher.js';
import type { Executor } from '../../src/data/executor.js';
import { importSources, type ImportSource } from '../../src/import/importer.js';

/** An import source in CSV: the header line and the rows. */
export function csvSource(
  kind: ImportSource['kind'],
  name: string,
  header: string,
  rows: readonly string[],
): ImportSource {
  return { name, format: 'csv', kind, content: [header, ...rows].join('\n') };
}

/** Two seed segments, the first feeding the second: suppliers in one and buyers in the other make supply pairs. */
export async function feedingSegments(executor: Executor): Promise<[string, string]> {
  const [pair] = await executor.read(
    'test',
    cypher(
      `MATCH (s:ChainSegment)-[:FEEDS]->(t:ChainSegment) WHERE s <> t
       RETURN s.id AS supplier, t.id AS buyer ORDER BY supplier, buyer LIMIT 1`,
    ),
  );
  return [String(pair!['supplier']), String(pair!['buyer'])];
}

/**
 * A region tree of a test's own — a city and its districts, illustrative — imported through the real pipeline, so
 * that no other test's firms count in it.
 */
export async function importCityTree(
  executor: Executor,
  city: { readonly id: string; readonly name: string },
  districts: readonly { readonly id: string; readonly name: string }[],
): Promise<void> {
  const result = await importSources(
    executor,
    [
      csvSource('regions', 'regions.csv', 'id,name,level,parentId,source', [
        `${city.id},${city.name},CITY,,ILLUSTRATIVE`,
        ...districts.map((district) => `${district.id},${district.name},DISTRICT,${city.id},ILLUSTRATIVE`),
      ]),
    ],
    { acceptValid: false },
  );
  expect(result.problems).toEqual([]);
}

/** The firms' links to the two segments, alternately (core roles, illustrative): half supply the other half. */
export function alternatingSegmentLinks(
  ids: readonly string[],
  segments: readonly [string, string],
): ImportSource {
  return csvSource(
    'segment-links',
    'segment-links.csv',
    'enterpriseId,segmentId,role,source',
    ids.map((id, index) => `${id},${segments[index % 2]},CORE,ILLUSTRATIVE`),
  );
}
