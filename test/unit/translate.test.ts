import fc from 'fast-check';
import neo4j from 'neo4j-driver';
import { isObjectType, type GraphQLObjectType } from 'graphql';
import { describe, expect, it } from 'vitest';

import {
  connectionQuery,
  connectionScanQuery,
  decodeCursor,
  encodeCursor,
  nodeByIdQuery,
  type SortKey,
} from '../../src/data/graph/queries.js';
import type { Selection } from '../../src/data/graph/selection.js';
import { GRAPH_SPEC } from '../../src/data/graph/spec.js';
import {
  assertPagesComplete,
  CypherScope,
  projectNode,
  STOPPED_PAGE_KEY,
  TranslationError,
} from '../../src/data/graph/translate.js';
import { planSearch } from '../../src/data/search.js';
import { AppError } from '../../src/errors.js';
import { schema, selectionFor } from '../support/selection.js';

const limits = { maxPageSize: 100, maxTraversalDepth: 6 };

describe('the selection-to-Cypher translator', () => {
  it('projects a nested selection into one statement with COLLECT subqueries', () => {
    const query = nodeByIdQuery(
      'Enterprise',
      'ent-x',
      selectionFor(
        '{ enterprise(id: "x") { id label: name region { name } segments(sources: [PUBLIC]) { segment { id } role } } }',
      ),
      limits,
    );
    expect(query.cypher).toMatchInlineSnapshot(
      `"MATCH (n:Enterprise { id: $p0 }) RETURN { \`id\`: n.id, \`label\`: n.name, \`region\`: COLLECT { MATCH (n)-[r1:LOCATED_IN]->(n0:Region) RETURN { \`name\`: n0.name } ORDER BY n0.name, n0.id LIMIT 1 }[0], \`segments\`: COLLECT { MATCH (n)-[r3:OPERATES_IN]->(n2:ChainSegment) WHERE n2.source IN $p1 AND r3.source IN $p1 RETURN { \`segment\`: { \`id\`: n2.id }, \`role\`: r3.role } ORDER BY n2.chainId, CASE n2.stage WHEN 'UPSTREAM' THEN 0 WHEN 'MIDSTREAM' THEN 1 ELSE 2 END, n2.name, n2.id } } AS result"`,
    );
    expect(query.params).toEqual({ p0: 'ent-x', p1: ['PUBLIC'] });
  });

  it('keeps every argument value in parameters, whatever it contains', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (value) => {
        const selection = selectionFor(
          'query ($r: ID) { segment(id: "s") { enterprises(regionId: $r) { role } } }',
          { r: value },
        );
        const query = nodeByIdQuery('ChainSegment', value, selection, limits);
        const values = Object.values(query.params);
        expect(values).toContain(value);
        // The statement text is built from the spec alone: the same for every value.
        expect(query.cypher).toBe(
          nodeByIdQuery(
            'ChainSegment',
            'x',
            selectionFor('query ($r: ID) { segment(id: "s") { enterprises(regionId: $r) { role } } }', {
              r: 'y',
            }),
            limits,
          ).cypher,
        );
      }),
    );
  });

  it('validates a nested first before building anything', () => {
    const selection = selectionFor('{ region(id: "r") { enterprises(first: 5000) { id } } }');
    const error = (() => {
      try {
        projectNode(GRAPH_SPEC, 'Region', 'n', selection, new CypherScope(limits));
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('BAD_USER_INPUT');
  });

  it('refuses response keys that are not GraphQL names and fields it has no mapping for', () => {
    const scope = new CypherScope(limits);
    const bad: Selection = new Map([
      ['x} DETACH DELETE n //', { field: 'id', args: {}, selection: new Map() }],
    ]);
    expect(() => projectNode(GRAPH_SPEC, 'Region', 'n', bad, scope)).toThrow(TranslationError);
    const unknown: Selection = new Map([['x', { field: 'password', args: {}, selection: new Map() }]]);
    expect(() => projectNode(GRAPH_SPEC, 'Region', 'n', unknown, scope)).toThrow(
      /No graph mapping for Region.password/,
    );
  });

  it('maps every field of every mapped type in the schema, and nothing the schema lacks', () => {
    const resolvedElsewhere = new Set(['TargetProgress']);
    for (const [typeName, typeSpec] of Object.entries(GRAPH_SPEC)) {
      const type = schema.getType(typeName);
      expect(type && isObjectType(type), `${typeName} is an object type of the schema`).toBe(true);
      const schemaFields = Object.keys((type as GraphQLObjectType).getFields());
      for (const field of Object.keys(typeSpec.fields))
        expect(schemaFields, `${typeName}.${field}`).toContain(field);
      // Edge types' node fields are projected by the relation that leads to them.
      const nodeFields = Object.values(GRAPH_SPEC)
        .flatMap((spec) => Object.values(spec.fields))
        .flatMap((field) =>
          field.kind === 'relation' && field.edge?.type === typeName ? [field.edge.nodeField] : [],
        );
      for (const field of schemaFields) {
        expect(
          typeSpec.fields[field] !== undefined || nodeFields.includes(field),
          `${typeName}.${field} is mapped`,
        ).toBe(true);
      }
    }
    expect(resolvedElsewhere.has('TargetProgress')).toBe(true);
  });
});

describe('nested pages over hubs', () => {
  const hubLimits = { ...limits, listAnchorLimit: 500, listScanLimit: 2000 };
  const statement = (operation: string) =>
    nodeByIdQuery('ChainSegment', 's', selectionFor(operation), hubLimits);

  it('reads a hub relation whole only up to LIST_ANCHOR_LIMIT, else from the name index, at most LIST_SCAN_LIMIT nodes', () => {
    const query = statement('{ segment(id: "s") { enterprises(first: 7) { role } } }');
    const text = query.cypher;
    // Decided in the statement from the segment's degree, read without reading its firms.
    expect(text).toContain('CASE WHEN COUNT { (n)<-[:OPERATES_IN]-() } <= ');
    expect(text).toMatch(/USING INDEX n\d+:Enterprise\(name\)/);
    const values = Object.values(query.params).map((value) =>
      neo4j.isInt(value) ? value.toNumber() : value,
    );
    expect(values).toEqual(expect.arrayContaining([500, 2000, 7]));
    // The marker names the list (from the root field's selection down, as the row budget's refusal does), so the
    // refusal can.
    expect(values).toContainEqual({
      path: 'enterprises',
      first: 7,
      scan: 2000,
      connection: expect.stringContaining('segmentId'),
      order: 'name',
    });
  });

  it("reads a hub in its relation's own order from the index that gives it", () => {
    // A segment's measures go by number then id: the scan reads the (number, id) index, whose order needs no sort.
    const measures = statement('{ segment(id: "s") { policyMeasures(first: 2) { id } } }').cypher;
    expect(measures).toMatch(
      /USING INDEX (n\d+):PolicyMeasure\(number, id\) WHERE \1\.number IS NOT NULL AND \1\.id IS NOT NULL WITH \1 ORDER BY \1\.number, \1\.id LIMIT/,
    );
    expect(measures).not.toContain('(name)');
  });

  it('anchors on a small region argument, and never scans a list that is not a hub', () => {
    const withRegion = statement(
      '{ segment(id: "s") { enterprises(first: 3, regionId: "r") { role } } }',
    ).cypher;
    expect(withRegion).toMatch(
      /WHEN reduce\(total = 0, sub\d+ IN COLLECT \{ MATCH \(:Region \{ id: \$p\d+ \}\)/,
    );
    const plain = statement('{ segment(id: "s") { projects { id } fedBy { segment { id } } } }').cypher;
    expect(plain).not.toContain('USING INDEX');
    expect(plain).not.toContain(STOPPED_PAGE_KEY);
  });

  it('refuses a result holding a page read short, naming the list, and only for statements that can hold one', () => {
    const query = statement('{ segment(id: "s") { enterprises(first: 7) { role } } }');
    const marker = {
      [STOPPED_PAGE_KEY]: {
        path: 'chain.segments.enterprises',
        first: 7,
        scan: 2000,
        connection: 'enterprises(…)',
        order: 'name',
      },
    };
    const result = [
      { result: { segments: [{ enterprises: [] }, { enterprises: [{ role: 'CORE' }, marker] }] } },
    ];
    const error = (() => {
      try {
        assertPagesComplete(query, result);
      } catch (caught) {
        return caught;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('QUERY_TOO_COMPLEX');
    expect((error as AppError).message).toContain("'chain.segments.enterprises' read 2,000 nodes");
    expect((error as AppError).extensions).toMatchObject({
      limit: 'LIST_SCAN_LIMIT',
      at: 'chain.segments.enterprises',
    });
    expect(() => assertPagesComplete(query, [{ result: { enterprises: [{ role: 'CORE' }] } }])).not.toThrow();
    // A statement that cannot produce the marker is not walked: a node's own property of that name is data.
    expect(() => assertPagesComplete({ cypher: 'RETURN 1' }, result)).not.toThrow();
  });
});

describe('keyset connections', () => {
  const sort: SortKey = { field: 'NAME', direction: 'ASC', property: 'name' };

  it('round-trips any cursor and refuses cursors made for another order', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (key, id) => {
        const cursor = encodeCursor({ field: 'NAME', direction: 'ASC', key, id });
        expect(decodeCursor(cursor, sort)).toEqual({ field: 'NAME', direction: 'ASC', key, id });
        expect(() => decodeCursor(cursor, { ...sort, direction: 'DESC' })).toThrow(/made for order NAME ASC/);
      }),
    );
  });

  it('refuses anything that is not a cursor, naming the argument', () => {
    fc.assert(
      fc.property(fc.string(), (garbage) => {
        try {
          const decoded = decodeCursor(garbage, sort);
          // Only a real cursor decodes: re-encoding gives back the same text.
          expect(encodeCursor(decoded)).toBe(garbage);
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).extensions['argument']).toBe('after');
        }
      }),
    );
  });

  it('counts only when totalCount is selected, and asks for one row more than the page', () => {
    const base = { typeName: 'Enterprise', where: () => [], references: [], sort, first: 10, after: null };
    const withoutCount = connectionQuery(
      { ...base, selection: selectionFor('{ enterprises { nodes { id } } }') },
      limits,
    );
    const withCount = connectionQuery(
      { ...base, selection: selectionFor('{ enterprises { totalCount } }') },
      limits,
    );
    expect(withoutCount.cypher).not.toContain('AS totalCount\n');
    expect(withCount.cypher).toContain('count(n) AS totalCount');
    expect(Object.values(withoutCount.params).map(String)).toContain('11');
  });

  it('reads a page in index order from a parameterised cursor, at most LIST_SCAN_LIMIT nodes, with no sort', () => {
    const marked = fc.string().map((text) => `☃${text}`);
    fc.assert(
      fc.property(
        fc.constantFrom('name' as const, 'id' as const),
        fc.constantFrom('ASC' as const, 'DESC' as const),
        fc.option(fc.tuple(marked, marked), { nil: null }),
        fc.option(marked, { nil: null }),
        fc.integer({ min: 1, max: 100 }),
        (property, direction, cursor, regionId, first) => {
          const field = property === 'id' ? 'ID' : 'NAME';
          const after = cursor && encodeCursor({ field, direction, key: cursor[0], id: cursor[1] });
          const request = {
            typeName: 'Enterprise',
            where: () => [],
            references: [],
            sort: { field, direction, property },
            first,
            after,
            region: regionId === null ? null : { id: regionId },
            selection: selectionFor('{ enterprises { nodes { id } } }'),
          };
          const scan = connectionScanQuery(request, { ...limits, listScanLimit: 77 }, ['r1', 'r2']);
          expect(scan.cypher).toContain(`USING INDEX n:Enterprise(${property})`);
          expect(scan.cypher).toMatch(new RegExp(`ORDER BY n\\.${property} ${direction}`));
          expect(Object.values(scan.params).map(String)).toContain('77');
          // Keys, ids and regions (each marked with a snowman) travel as parameters only.
          expect(scan.cypher).not.toContain('☃');
          const page = connectionQuery(request, { ...limits, listAnchorLimit: 5 });
          if (regionId === null)
            expect(page).toEqual(connectionScanQuery(request, { ...limits, listAnchorLimit: 5 }));
          else expect(Object.values(page.params)).toContain(regionId);
        },
      ),
    );
  });
});

describe('search query building', () => {
  it('only ever produces quoted phrases of letters and digits, and prefix words, joined by AND', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 100, unit: 'binary' }), (text) => {
        try {
          const plan = planSearch(text);
          for (const term of plan.wholeQuery.split(' AND ')) {
            expect(term).toMatch(/^"[\p{L}\p{N}]+"$/u);
          }
          for (const term of plan.prefixQuery?.split(' AND ') ?? []) {
            expect(term).toMatch(/^(?:"[\p{L}\p{N}]+"|[\p{L}\p{N}]+\*)$/u);
          }
        } catch (error) {
          expect(error).toBeInstanceOf(AppError);
          expect((error as AppError).extensions['argument']).toBe('text');
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps each word whole: Chinese with its digits as one phrase, numbers unprefixed, Latin words also as prefixes', () => {
    const plan = planSearch('LED芯片 photo 13所 2025');
    expect(plan.wholeQuery).toBe('"led芯片" AND "photo" AND "13所" AND "2025"');
    expect(plan.prefixQuery).toBe('"led芯片" AND photo* AND "13所" AND "2025"');
    expect(plan.prefixOnlyWithoutWhole).toBe(false);
    expect(planSearch('SiC').prefixOnlyWithoutWhole).toBe(true);
    expect(planSearch('13所').prefixQuery).toBeNull();
    expect(planSearch('药').singleCharacters).toBe(true);
    // İ lower-cases to i and a combining dot in JavaScript; the analyzer indexes the i alone.
    expect(planSearch('İstanbul').wholeQuery).toBe('"istanbul"');
    expect(planSearch('600812.sh').stockCodes).toEqual(['600812.SH']);
    expect(planSearch('600812').stockCodes).toEqual(['600812.SH', '600812.SZ', '600812.BJ']);
    expect(planSearch('91130100ma0cxxxx0x').creditCodes).toEqual(['91130100MA0CXXXX0X']);
    expect(() => planSearch('()*')).toThrow(/Argument 'text'/);
  });
});
