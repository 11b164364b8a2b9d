import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { singlePointsOfFailure, type ResilienceInput } from '../../src/analytics/resilience.js';

/** Random chains (segments s0…, some narrower, FEEDS forward) with random local firms and supply links among them. */
const inputs = fc
  .record({
    size: fc.integer({ min: 2, max: 6 }),
    parents: fc.array(fc.integer({ min: -1, max: 5 }), { minLength: 6, maxLength: 6 }),
    feeds: fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })), {
      maxLength: 10,
    }),
    firms: fc.array(fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 3 }), {
      minLength: 1,
      maxLength: 6,
    }),
    links: fc.array(fc.tuple(fc.nat(5), fc.nat(5)), { maxLength: 12 }),
  })
  .map(({ size, parents, feeds, firms, links }): ResilienceInput => {
    const ids = Array.from({ length: size }, (_, index) => `s${index}`);
    // A parent always comes earlier, so the tree has no cycle.
    const parentOf = (index: number) => {
      const parent = parents[index]!;
      return parent >= 0 && parent < index ? ids[parent] : undefined;
    };
    const scopeRoots: Record<string, string[]> = {};
    ids.forEach((id, index) => {
      const roots = [id];
      for (let at = parentOf(index); at !== undefined; at = parentOf(ids.indexOf(at))) roots.push(at);
      scopeRoots[id] = roots;
    });
    const feedMap: Record<string, [string, string | null][]> = Object.fromEntries(ids.map((id) => [id, []]));
    for (const [from, to] of feeds) {
      if (from < to && to < size) feedMap[ids[from]!]!.push([ids[to]!, 'PLAN']);
    }
    const firmList = firms.map((segments, index) => ({
      id: `f${index}`,
      name: `f${index}`,
      segmentIds: segments.filter((segment) => segment < size).map((segment) => ids[segment]!),
    }));
    return {
      segments: ids.map((id, index) => ({ id, name: id, criticality: index / 10, status: 'WEAK' as const })),
      scopeRoots,
      feeds: feedMap,
      sources: ['PLAN'],
      firms: firmList,
      links: links
        .filter(([a, b]) => a < firmList.length && b < firmList.length && a !== b)
        .map(([a, b]) => ({ supplierId: `f${a}`, buyerId: `f${b}`, products: [] })),
    };
  });

describe('single points of failure (pure)', () => {
  it('each broken segment has exactly one local firm, and impact follows the documented formula', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        for (const point of singlePointsOfFailure(input)) {
          for (const broken of point.segmentsBroken) {
            const carriers = input.firms.filter((firm) =>
              firm.segmentIds.some((id) => input.scopeRoots[id]!.includes(broken.segmentId)),
            );
            expect(carriers.map((firm) => firm.id)).toEqual([point.firmId]);
          }
          const expected =
            point.segmentsBroken.reduce((sum, broken) => sum + 1 + broken.criticality, 0) +
            point.buyersStranded.length;
          expect(point.impact).toBeCloseTo(expected, 3);
          expect(point.segmentsBroken.length + point.buyersStranded.length).toBeGreaterThan(0);
        }
      }),
    );
  });

  it('a twin for every firm (same segments, same links) leaves no single point of failure', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const twin = (id: string) => `${id}-twin`;
        const doubled: ResilienceInput = {
          ...input,
          firms: [...input.firms, ...input.firms.map((firm) => ({ ...firm, id: twin(firm.id) }))],
          links: [
            ...input.links,
            ...input.links.map((link) => ({ ...link, supplierId: twin(link.supplierId) })),
          ],
        };
        expect(singlePointsOfFailure(doubled)).toEqual([]);
      }),
    );
  });

  it('ranks by impact, ties by firm id', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        const points = singlePointsOfFailure(input);
        for (let index = 1; index < points.length; index += 1) {
          const [a, b] = [points[index - 1]!, points[index]!];
          expect(a.impact > b.impact || (a.impact === b.impact && a.firmId < b.firmId)).toBe(true);
        }
      }),
    );
  });
});
