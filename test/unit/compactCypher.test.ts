import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { compactCypher } from '../../src/data/cypher.js';

/** A piece of statement text, with what compactCypher must make of it. */
type Piece =
  | { kind: 'word'; text: string }
  | { kind: 'quoted'; text: string }
  | { kind: 'space'; text: string }
  | { kind: 'comment'; text: string };

const word = fc
  .stringMatching(/^[A-Za-z0-9_$.,()[\]{}:=<>+*-]{1,8}$/)
  .map((text): Piece => ({ kind: 'word', text }));
/** A string or backquoted name whose body holds what outside quotes would be dropped or squeezed. */
const quoted = fc
  .tuple(
    fc.constantFrom("'", '"', '`'),
    fc.array(fc.constantFrom('a', ' ', '  ', '//', '/*', '*/', '\n', '\t', 'é', '石'), { maxLength: 6 }),
    fc.boolean(),
  )
  .map(([quote, parts, escaped]): Piece => {
    // A backslash escapes the quote inside a string; a backquoted name doubles it instead.
    const inner = escaped ? (quote === '`' ? '``' : `\\${quote}`) : '';
    return { kind: 'quoted', text: `${quote}${parts.join('')}${inner}${quote}` };
  });
const space = fc
  .array(fc.constantFrom(' ', '\n', '\t', '\r\n'), { minLength: 1, maxLength: 4 })
  .map((parts): Piece => ({ kind: 'space', text: parts.join('') }));
const comment = fc
  .oneof(
    fc.stringMatching(/^[a-z '"`/*]{0,12}$/).map((body) => `//${body}\n`),
    fc.stringMatching(/^[a-z '"`/]{0,12}$/).map((body) => `/*${body}*/`),
  )
  .map((text): Piece => ({ kind: 'comment', text }));

/** The compact text of pieces: quoted and other text kept, comments and whitespace runs one space between tokens. */
function expected(pieces: readonly Piece[]): string {
  let out = '';
  let gap = false;
  for (const piece of pieces) {
    if (piece.kind === 'space' || piece.kind === 'comment') {
      gap = true;
      continue;
    }
    if (gap && out.length > 0) out += ' ';
    gap = false;
    out += piece.text;
  }
  return out;
}

describe('compactCypher', () => {
  it('drops comments and squeezes whitespace, leaving quoted text as it is', () => {
    const text = `MATCH (e:Enterprise)   // the firms
       WHERE e.name = 'a  // not a comment'   /* a block */ AND e.\`odd  name\` = "x\\"  y"
       RETURN e`;
    expect(compactCypher(text)).toBe(
      `MATCH (e:Enterprise) WHERE e.name = 'a  // not a comment' AND e.\`odd  name\` = "x\\"  y" RETURN e`,
    );
    expect(compactCypher('  RETURN 1  ')).toBe('RETURN 1');
    expect(compactCypher('')).toBe('');
  });

  it('gives each piece its compact form, whatever the pieces and their order (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(word, quoted, space, comment), { maxLength: 30 }), (pieces) => {
        // Two words side by side are one word to Cypher as to this model; a comment always ends its line here.
        const text = pieces.map((piece) => piece.text).join('');
        const compact = compactCypher(text);
        expect(compact).toBe(expected(pieces));
        expect(compactCypher(compact)).toBe(compact);
      }),
      { numRuns: 500 },
    );
  });
});
