import { describe, expect, it } from 'vitest';

import { firmFactsQuery, joinParts, walkPart } from '../../src/analytics/candidates.js';
import { candidateLinkagePart } from '../../src/analytics/facts.js';

describe('statement parts', () => {
  const walk = walkPart({
    lists: [{ segmentId: 's', after: '', before: '1', minCapabilityKey: 3 }],
    size: 8,
  });
  const linkage = { query: candidateLinkagePart('home'), columns: ['linkage'] };

  it('joins none to nothing and one to itself', () => {
    expect(joinParts([])).toBeNull();
    expect(joinParts([null, null])).toBeNull();
    expect(joinParts([null, walk])).toBe(walk);
  });

  it('joins parts in order, with every column and parameter of each', () => {
    const joined = joinParts([walk, null, linkage])!;
    expect(joined.columns).toEqual(['walked', 'linkage']);
    expect(joined.query.cypher.indexOf('$lists')).toBeLessThan(
      joined.query.cypher.indexOf('$linkageRegionId'),
    );
    expect(joined.query.params).toEqual({ ...walk.query.params, ...linkage.query.params });
  });

  it('sends the facts with the next round and the linkage, the firms listed once for both', () => {
    const query = firmFactsQuery({
      ids: ['a', 'b'],
      scopeIds: ['s'],
      sources: ['PUBLIC'],
      part: joinParts([walk, linkage]),
    });
    // The linkage part reads the firms and sources of the facts: no parameter of its own for them.
    expect(Object.keys(query.params).sort()).toEqual(
      ['ids', 'linkageRegionId', 'lists', 'scopeIds', 'size', 'sources'].sort(),
    );
    expect(query.params['ids']).toEqual(['a', 'b']);
    expect(query.cypher).toMatch(/AS firms, walked, linkage$/);
  });
});
