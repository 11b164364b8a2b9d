import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { migrationStatements } from '../../src/data/migrations.js';
import { assertLabel, assertRelationship, NODE_LABELS } from '../../src/data/model.js';
import {
  createLocatedEnterprisesQuery,
  upsertNodesQuery,
  upsertRelationshipsQuery,
} from '../../src/data/upsert.js';

describe('Cypher builders', () => {
  it('keeps values in parameters, never in the statement text', () => {
    const query = upsertNodesQuery({
      label: 'Region',
      rows: [{ id: "x'}) DETACH DELETE n //", name: '石家庄' }],
    });
    expect(query.cypher).not.toContain('DETACH DELETE n //');
    expect(query.cypher).not.toContain('石家庄');
    expect(query.params).toEqual({ rows: [{ id: "x'}) DETACH DELETE n //", name: '石家庄' }] });
  });

  it('drops null and undefined properties so a re-run compares equal to what is stored', () => {
    const query = upsertNodesQuery({
      label: 'Region',
      rows: [{ id: 'a', note: null, section: undefined, lat: 0 }],
    });
    expect(query.params).toEqual({ rows: [{ id: 'a', lat: 0 }] });
  });

  it('sends new firms as one list per property, spelling out only plain property names', () => {
    const locations = (ids: string[]) => ({
      type: 'LOCATED_IN' as const,
      from: 'Enterprise' as const,
      to: 'Region' as const,
      exclusive: true,
      mode: 'merge' as const,
      rows: ids.map((id) => ({ from: id, to: `r-${id}`, properties: { source: 'PUBLIC' } })),
    });
    const query = createLocatedEnterprisesQuery(
      {
        label: 'Enterprise',
        mode: 'merge',
        rows: [
          { id: 'a', name: "x'}) DETACH DELETE n //", highTech: true },
          { id: 'b', name: '乙' },
        ],
        defaults: { highTech: false, leading: false },
      },
      locations(['a', 'b']),
    );
    expect(query.cypher).not.toContain('DETACH DELETE n //');
    // Keys any row or the defaults have; a row without one takes the default, or null (no property).
    expect(query.params).toEqual({
      regions: ['r-a', 'r-b'],
      firm0: [true, false],
      firm1: [false, false],
      firm2: ['a', 'b'],
      firm3: ["x'}) DETACH DELETE n //", '乙'],
      link0: ['PUBLIC', 'PUBLIC'],
    });
    expect(query.cypher).toContain('a.`highTech` = $firm0[i], a.`leading` = $firm1[i], a.`id` = $firm2[i]');
    expect(() =>
      createLocatedEnterprisesQuery(
        { label: 'Enterprise', mode: 'merge', rows: [{ id: 'a', 'name` = 1, a.x': 'y' }] },
        locations(['a']),
      ),
    ).toThrow(/not a plain identifier/);
  });

  it('builds a relationship upsert between allow-listed labels', () => {
    const query = upsertRelationshipsQuery({
      type: 'FEEDS',
      from: 'ChainSegment',
      to: 'ChainSegment',
      rows: [{ from: 'a', to: 'b', properties: { source: 'PUBLIC' } }],
    });
    expect(query.cypher).toContain('MATCH (a:ChainSegment { id: row.from })');
    // The source is locked, the (often dense) target only read: see upsertRelationshipsQuery.
    expect(query.cypher).toContain('SET a.id = a.id');
    expect(query.cypher).toContain('CREATE (a)-[created:FEEDS]->(b)');
    expect(query.cypher).not.toContain('MERGE');
  });

  it('writes each pair once per statement, the last row winning', () => {
    const query = upsertRelationshipsQuery({
      type: 'SUPPLIES',
      from: 'Enterprise',
      to: 'Enterprise',
      rows: [
        { from: 'a', to: 'b', properties: { products: ['x'] } },
        { from: 'a', to: 'c', properties: {} },
        { from: 'a', to: 'b', properties: { products: ['y'] } },
      ],
    });
    expect(query.params['rows']).toEqual([
      { from: 'a', to: 'b', properties: { products: ['y'] } },
      { from: 'a', to: 'c', properties: {} },
    ]);
  });

  it('writes rows in one order whatever order they came in, so concurrent writers take locks alike', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ from: fc.string(), to: fc.constantFrom('r1', 'r2', 'r3', 'r10') }), {
          maxLength: 12,
        }),
        (pairs) => {
          const rows = pairs.map((pair) => ({ ...pair, properties: {} }));
          const build = (order: typeof rows) =>
            upsertRelationshipsQuery({ type: 'LOCATED_IN', from: 'Enterprise', to: 'Region', rows: order })
              .params;
          const forward = build(rows);
          expect(build([...rows].reverse())).toEqual(forward);
          const sources = (forward['rows'] as { from: string }[]).map((row) => row.from);
          expect(sources).toEqual([...sources].sort());
        },
      ),
    );
    const nodes = upsertNodesQuery({ label: 'Region', rows: [{ id: 'b' }, { id: 'a' }, { id: 'c' }] });
    expect(nodes.params).toEqual({ rows: [{ id: 'a' }, { id: 'b' }, { id: 'c' }] });
  });

  it('refuses labels and relationship types outside the closed list', () => {
    expect(() => upsertNodesQuery({ label: 'Region) DETACH DELETE (x' as never, rows: [] })).toThrow(
      /Unknown node label/,
    );
    expect(() => assertRelationship('FEEDS]->() DELETE r //')).toThrow(/Unknown relationship type/);
    expect(assertLabel('Enterprise')).toBe('Enterprise');
  });

  it('declares a uniqueness constraint for every label and two full-text indexes without stop words', () => {
    const statements = migrationStatements().map((statement) => statement.cypher);
    for (const label of NODE_LABELS) {
      expect(statements).toContain(
        `CREATE CONSTRAINT ${label.toLowerCase()}_id IF NOT EXISTS FOR (n:${label}) REQUIRE n.id IS UNIQUE`,
      );
    }
    const fulltext = statements.filter((statement) => statement.includes('FULLTEXT'));
    expect(fulltext).toHaveLength(2);
    for (const statement of fulltext)
      expect(statement).toContain("`fulltext.analyzer`: 'standard-no-stop-words'");
  });
});
