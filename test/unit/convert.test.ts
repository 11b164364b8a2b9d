import neo4j from 'neo4j-driver';
import { describe, expect, it } from 'vitest';

import { toPlain } from '../../src/data/convert.js';

describe('toPlain', () => {
  it('turns driver values inside plain maps and lists into plain JavaScript', () => {
    const date = new neo4j.types.Date(2020, 12, 31);
    const node = new neo4j.types.Node(neo4j.int(1), ['Enterprise'], { id: 'e1', employees: neo4j.int(42) });
    const value = {
      count: neo4j.int(7),
      big: BigInt(9),
      when: date,
      node,
      nested: [{ n: neo4j.int(3), name: '石药', flag: true, missing: null }],
    };
    expect(toPlain(value)).toEqual({
      count: 7,
      big: 9,
      when: '2020-12-31',
      node: { id: 'e1', employees: 42 },
      nested: [{ n: 3, name: '石药', flag: true, missing: null }],
    });
  });

  it('keeps primitives and maps undefined to null', () => {
    expect(toPlain('x')).toBe('x');
    expect(toPlain(1.5)).toBe(1.5);
    expect(toPlain(false)).toBe(false);
    expect(toPlain(undefined)).toBeNull();
  });
});
