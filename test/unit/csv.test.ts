import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { plainCsv, readCsv, viaCsvParse } from '../../src/import/csv.js';

/** Pieces CSV is made of, with every character the fast path has to treat exactly as csv-parse does. */
const PIECES = [
  'a',
  'b1',
  '企业',
  ',',
  ' ',
  '\t',
  '\n',
  '\r\n',
  '\r',
  '"',
  '\u3000',
  '\u00a0',
  '\uFEFF',
  '\f',
  '-',
];
const content = fc.array(fc.constantFrom(...PIECES), { maxLength: 60 }).map((pieces) => pieces.join(''));
/** What plain exports look like: these must take the fast path, or the comparison above would rarely run. */
const PLAIN = ['a', 'b1', '企业', ',', ',', ' ', '\t', '-'];
const plainContent = fc
  .tuple(
    fc.array(fc.array(fc.constantFrom(...PLAIN), { maxLength: 12 }), { maxLength: 8 }),
    fc.constantFrom('\n', '\r\n'),
  )
  .map(([lines, lineBreak]) => lines.map((pieces) => pieces.join('')).join(lineBreak));

describe('readCsv', () => {
  it('reads every input it takes the fast path for exactly as csv-parse does (records and line numbers)', () => {
    fc.assert(
      fc.property(fc.oneof(content, plainContent), fc.boolean(), (text, bom) => {
        const input = bom ? `\uFEFF${text}` : text;
        const fast = plainCsv(input);
        if (fast !== null) expect(fast).toEqual(viaCsvParse(input));
      }),
      { numRuns: 3000 },
    );
    fc.assert(
      fc.property(plainContent, (text) => {
        expect(plainCsv(text)).toEqual(viaCsvParse(text));
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the fast path for an ordinary export, with \\n or \\r\\n line endings, a BOM and blank lines', () => {
    const lines = [
      'id,name,regionId',
      ' ent-a , 甲公司 ,sjz',
      '',
      'ent-b,\t乙公司,sjz',
      '  ',
      'ent-c,丙,sjz,extra',
    ];
    for (const lineBreak of ['\n', '\r\n']) {
      const text = `\uFEFF${lines.join(lineBreak)}${lineBreak}`;
      const fast = plainCsv(text);
      expect(fast).not.toBeNull();
      expect(fast).toEqual(viaCsvParse(text));
      expect(fast).toEqual([
        { record: ['id', 'name', 'regionId'], line: 1 },
        { record: ['ent-a', '甲公司', 'sjz'], line: 2 },
        { record: ['ent-b', '乙公司', 'sjz'], line: 4 },
        { record: ['ent-c', '丙', 'sjz', 'extra'], line: 6 },
      ]);
    }
  });

  it('leaves quoted fields, mixed line endings and other whitespace to csv-parse', () => {
    for (const text of ['a,"b,c"\n1,2', 'a,b\r\n1,2\n3,4', 'a,b\r1,2', 'a,\u3000b\n1,2']) {
      expect(plainCsv(text)).toBeNull();
      expect(readCsv(text)).toEqual(viaCsvParse(text));
    }
    expect(readCsv('a,"b,c"\n1,"2,3"')).toEqual([
      { record: ['a', 'b,c'], line: 1 },
      { record: ['1', '2,3'], line: 2 },
    ]);
    expect(() => readCsv('a,"b\n1,2')).toThrow(/Quote Not Closed/i);
  });
});
