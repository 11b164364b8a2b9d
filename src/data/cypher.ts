/**
 * A Cypher statement with its parameters, built by a pure function and run by the Executor. Values always go in
 * `params`; the statement text is assembled only from fixed fragments, allow-listed labels and relationship types,
 * and validated integers (see `labels.ts`).
 */
export interface CypherQuery {
  readonly cypher: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export function cypher(text: string, params: Record<string, unknown> = {}): CypherQuery {
  return { cypher: text, params };
}

/** Distinct statement texts whose compact form is kept (compactCypher); past it the memo starts again. */
const COMPACT_MEMO_SIZE = 2_000;
const compactMemo = new Map<string, string>();

/**
 * The statement text as sent to Neo4j: its comments (`//` to the end of the line, `/* … *\/`) left out and each run
 * of whitespace outside quotes made one space; quoted text (strings, backquoted names) is kept as it is. The texts
 * are written to be read, with comments that say why, and every request sent them whole: a ranking of target firms
 * sent 18.7 KB of statement text a request at 200,000 firms (14.2 KB compact), packed by the driver into 1,400-byte
 * chunks that each cost a socket write. Kept per text (a statement's text depends on its shape, not its values), so
 * each distinct text is scanned once.
 */
export function compactCypher(text: string): string {
  const known = compactMemo.get(text);
  if (known !== undefined) return known;
  let compact = '';
  let space = false;
  let index = 0;
  while (index < text.length) {
    const char = text[index]!;
    if (char === "'" || char === '"' || char === '`') {
      // A backslash escapes the next character in a string; a backquoted name doubles its backquote, which reads
      // here as two quoted parts side by side, copied alike.
      let end = index + 1;
      while (end < text.length && text[end] !== char) end += text[end] === '\\' && char !== '`' ? 2 : 1;
      if (space && compact.length > 0) compact += ' ';
      space = false;
      compact += text.slice(index, end + 1);
      index = end + 1;
    } else if (char === '/' && text[index + 1] === '/') {
      const end = text.indexOf('\n', index);
      index = end === -1 ? text.length : end;
      space = true;
    } else if (char === '/' && text[index + 1] === '*') {
      const end = text.indexOf('*/', index + 2);
      index = end === -1 ? text.length : end + 2;
      space = true;
    } else if (char === ' ' || char === '\n' || char === '\t' || char === '\r') {
      space = true;
      index += 1;
    } else {
      if (space && compact.length > 0) compact += ' ';
      space = false;
      compact += char;
      index += 1;
    }
  }
  if (compactMemo.size >= COMPACT_MEMO_SIZE) compactMemo.clear();
  compactMemo.set(text, compact);
  return compact;
}
