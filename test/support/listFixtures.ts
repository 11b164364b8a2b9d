import { NodeLabel, RelationshipType } from '../../src/data/model.js';
import type { NodeBatch, Properties, RelationshipBatch } from '../../src/data/upsert.js';

/**
 * What the list tests (lists.test.ts, hubPages.test.ts) write: their own regions, enterprises with the flags every
 * import writes, and the links that place them.
 */

/**
 * A test's own district under Shijiazhuang with a sub-region of its own (to check that sub-regions are included): the
 * region rows and the PART_OF rows for upsertAll.
 */
export function regionPair(
  prefix: string,
  district: string,
  subregion: string,
): { regions: NodeBatch; partOf: RelationshipBatch } {
  return {
    regions: {
      label: NodeLabel.Region,
      rows: [
        { id: district, name: `${prefix} 测试区`, level: 'DISTRICT', source: 'ILLUSTRATIVE' },
        { id: subregion, name: `${prefix} 测试街道`, level: 'NEW_AREA', source: 'ILLUSTRATIVE' },
      ],
    },
    partOf: {
      type: RelationshipType.PART_OF,
      from: NodeLabel.Region,
      to: NodeLabel.Region,
      rows: [
        { from: district, to: 'shijiazhuang', properties: { source: 'ILLUSTRATIVE' } },
        { from: subregion, to: district, properties: { source: 'ILLUSTRATIVE' } },
      ],
    },
  };
}

/** An enterprise row: SMALL and no flags unless given. */
export function enterpriseRow(firm: {
  readonly id: string;
  readonly name: string;
  readonly source: string;
  readonly sizeBand?: string;
  readonly highTech?: boolean;
}): Properties {
  return {
    id: firm.id,
    name: firm.name,
    sizeBand: firm.sizeBand ?? 'SMALL',
    highTech: firm.highTech ?? false,
    leading: false,
    listed: false,
    specialised: false,
    source: firm.source,
  };
}

/** LOCATED_IN links, each with its own source. */
export function locationLinks(
  links: readonly { readonly firm: string; readonly region: string; readonly source: string }[],
): RelationshipBatch {
  return {
    type: RelationshipType.LOCATED_IN,
    from: NodeLabel.Enterprise,
    to: NodeLabel.Region,
    rows: links.map((link) => ({ from: link.firm, to: link.region, properties: { source: link.source } })),
  };
}
