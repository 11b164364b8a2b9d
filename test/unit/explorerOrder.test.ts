import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';

import {
  explorerGuide,
  explorerOrder,
  LEADING_OPERATIONS,
  loadSavedOperations,
  renderExplorer,
  tabLabel,
} from '../../src/http/explorer.js';

const op = (file: string, variant?: string) => ({ file, variant });

describe('the explorer order', () => {
  it('puts the leading operations first, in their order, and the rest after them as they came', () => {
    const ordered = explorerOrder(
      [
        op('a.graphql'),
        op('welcome.graphql'),
        op('gap-report.graphql', 'biomedicine'),
        op('gap-report.graphql', 'ic'),
        op('ic-target-firms.graphql'),
        op('search.graphql'),
        op('shiyao-upstream.graphql'),
        op('targets-vs-graph.graphql'),
        op('z.graphql'),
        op('b.graphql'),
      ],
      LEADING_OPERATIONS,
    );
    expect(ordered.map(({ file, variant }) => (variant ? `${file}/${variant}` : file))).toEqual([
      'welcome.graphql',
      'gap-report.graphql/biomedicine',
      'gap-report.graphql/ic',
      'ic-target-firms.graphql',
      'shiyao-upstream.graphql',
      'targets-vs-graph.graphql',
      'search.graphql',
      'a.graphql',
      'z.graphql',
      'b.graphql',
    ]);
  });

  it('leaves the input alone and skips a leading file that is not there', () => {
    const input = [op('b.graphql'), op('search.graphql'), op('a.graphql')];
    expect(explorerOrder(input, ['missing.graphql', 'search.graphql']).map(({ file }) => file)).toEqual([
      'search.graphql',
      'b.graphql',
      'a.graphql',
    ]);
    expect(input.map(({ file }) => file)).toEqual(['b.graphql', 'search.graphql', 'a.graphql']);
  });

  it('orders the saved operations in queries/: welcome, gap report, target firms, upstream, targets vs plan, search, then the rest by file name', () => {
    const operations = loadSavedOperations();
    const files = operations.map(({ file }) => file);
    // Renaming a leading file would silently drop it from the front: every one must exist.
    for (const file of LEADING_OPERATIONS) expect(files).toContain(file);
    const leadingCount = files.filter((file) => LEADING_OPERATIONS.includes(file)).length;
    const firstOfEach = LEADING_OPERATIONS.map((file) => files.indexOf(file));
    expect(firstOfEach).toEqual([...firstOfEach].sort((a, b) => a - b));
    expect(firstOfEach[0]).toBe(0);
    const rest = files.slice(leadingCount);
    expect(rest.some((file) => LEADING_OPERATIONS.includes(file))).toBe(false);
    expect(rest).toEqual([...rest].sort());
    expect(operations.slice(0, 6).map(tabLabel)).toEqual([
      'Welcome',
      'GapReport (biomedicine)',
      'GapReport (ic)',
      'GapReport (led)',
      'GapReport (military-civil)',
      'GapReport (nev)',
    ]);
    expect(operations.slice(6, 10).map(tabLabel)).toEqual([
      'IcTargetFirms',
      'ShiyaoUpstream',
      'TargetsVersusGraph',
      'Search',
    ]);
  });
});

describe('the guide on the first tab', () => {
  const operations = loadSavedOperations();
  const guide = explorerGuide(operations);

  it('is only comments, lists every tab in order and names the operation for each of the plan’s questions', () => {
    const lines = guide.trimEnd().split('\n');
    expect(lines.every((line) => line.startsWith('#'))).toBe(true);
    for (const text of [
      'weak or broken',
      'how critical',
      'Who would fill a gap',
      'upstream and downstream',
      "plan's targets",
      'compare with another region',
    ]) {
      expect(guide).toContain(text);
    }
    expect(guide).toContain('tab 2–6 GapReport');
    expect(guide).toContain('tab 7 IcTargetFirms');
    const numbered = lines
      .map((line) => /^#\s+(\d+)\s{2}(\S+(?: \([\w-]+\))?)/.exec(line))
      .filter((match) => match !== null)
      .map((match) => [Number(match[1]), match[2]]);
    expect(numbered).toEqual(operations.map((operation, index) => [index + 1, tabLabel(operation)]));
  });

  it('heads the first tab, which still parses as the first operation, and the page opens on it', () => {
    const html = renderExplorer('/graphql', operations);
    const first = `${guide}\n${operations[0]!.query}`;
    expect(parse(first).definitions).toHaveLength(parse(operations[0]!.query).definitions.length);
    // The page carries the tabs as JSON: the first is the guide with the welcome operation under it.
    expect(html).toContain(JSON.stringify(first).slice(1, 200));
  });
});
