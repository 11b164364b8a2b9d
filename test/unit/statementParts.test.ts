import { describe, expect, it } from 'vitest';

import { firmFactsQuery, joinParts, provenanceLanes, walkPart } from '../../src/analytics/candidates.js';
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

  it('walks a provenance lane from the lane index, keyed by segment and lane', () => {
    const lanes = walkPart({
      lists: [
        { segmentId: 's', provenance: 'PUBLIC', after: '', before: '1' },
        { segmentId: 's', provenance: 'PLAN+PUBLIC', after: '1', before: '2' },
      ],
      size: 8,
    });
    expect(lanes.query.cypher).toMatch(/op\.rankLane = list\[0\]/);
    expect(lanes.query.cypher).not.toMatch(/op\.rankSegmentId/);
    expect((lanes.query.params['lists'] as unknown[][]).map((list) => list[0])).toEqual([
      's\u001fPUBLIC',
      's\u001fPLAN+PUBLIC',
    ]);
    // Without lanes, the segment's index as before.
    expect(walk.query.cypher).toMatch(/op\.rankSegmentId = list\[0\]/);
    expect((walk.query.params['lists'] as unknown[][])[0]![0]).toBe('s');
    expect(() =>
      walkPart({
        lists: [
          { segmentId: 's', provenance: 'PUBLIC', after: '', before: '1' },
          { segmentId: 's', after: '1', before: '2' },
        ],
        size: 8,
      }),
    ).toThrow(/by provenance lane or none/);
  });
});

describe('provenance lanes', () => {
  it('are none when every provenance is asked for, in any order and with repeats', () => {
    expect(provenanceLanes(['PLAN', 'PUBLIC', 'ILLUSTRATIVE'])).toBeNull();
    expect(provenanceLanes(['ILLUSTRATIVE', 'PUBLIC', 'PLAN', 'PUBLIC'])).toBeNull();
  });

  it('are the sources asked for, alone and in sorted pairs', () => {
    expect(provenanceLanes(['PUBLIC', 'PLAN'])).toEqual(['PLAN', 'PLAN+PUBLIC', 'PUBLIC']);
    expect(provenanceLanes(['PUBLIC', 'PUBLIC'])).toEqual(['PUBLIC']);
    expect(provenanceLanes(['PUBLIC', 'ILLUSTRATIVE'])).toEqual([
      'ILLUSTRATIVE',
      'ILLUSTRATIVE+PUBLIC',
      'PUBLIC',
    ]);
  });
});
