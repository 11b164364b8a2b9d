/**
 * The shape of a JSON import, checked on its text before anything walks the parsed value. `JSON.parse` itself copes
 * with any nesting, but everything after it that recurses (turning a cell into text, `JSON.stringify`) would
 * overflow the stack on a document nested thousands of levels deep; and `JSON.parse` silently keeps the last of two
 * equal keys in an object, which for an import means a column given twice with the first value lost. This scan is
 * iterative, so no input can overflow it.
 */

/** An import is an array of row objects whose cells are values or lists: 3 levels. Anything deeper than this is junk. */
export const MAX_JSON_DEPTH = 10;

/** Where in the document: the record (1-based index in the top-level array) and the key within it, when known. */
export interface JsonPlace {
  readonly record: number | null;
  readonly key: string | null;
}

export interface JsonShape {
  /** The first place nested deeper than MAX_JSON_DEPTH, or null. */
  readonly tooDeep: JsonPlace | null;
  /** Keys given twice in one object (the first occurrence of each). */
  readonly duplicateKeys: JsonPlace[];
}

interface Frame {
  readonly kind: 'array' | 'object';
  readonly keys: Set<string> | null;
  /** In an object: whether the next string is a key. */
  expectKey: boolean;
  /** In an array: the index of the current element. */
  index: number;
}

/** Scans a document that `JSON.parse` has already accepted. */
export function jsonShape(text: string, maxDepth = MAX_JSON_DEPTH): JsonShape {
  const stack: Frame[] = [];
  const duplicateKeys: JsonPlace[] = [];
  // The record being read (an element of the top-level array) and the key of its cell being read.
  let record: number | null = null;
  let key: string | null = null;
  for (let position = 0; position < text.length; position++) {
    const char = text[position];
    const top = stack[stack.length - 1];
    if (char === '"') {
      let end = position + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
      if (top?.kind === 'object' && top.expectKey) {
        const name = JSON.parse(text.slice(position, end + 1)) as string;
        if (stack.length === 2) key = name;
        if (top.keys!.has(name)) duplicateKeys.push({ record, key: name });
        else top.keys!.add(name);
        top.expectKey = false;
      }
      position = end;
    } else if (char === '[' || char === '{') {
      if (stack.length >= maxDepth) return { tooDeep: { record, key }, duplicateKeys };
      if (stack.length === 1) record = (top?.index ?? 0) + 1;
      stack.push({
        kind: char === '[' ? 'array' : 'object',
        keys: char === '{' ? new Set() : null,
        expectKey: char === '{',
        index: 0,
      });
    } else if (char === ']' || char === '}') {
      stack.pop();
      if (stack.length === 1) key = null;
    } else if (char === ',') {
      if (top?.kind === 'object') top.expectKey = true;
      else if (top) top.index += 1;
      if (stack.length === 1) record = null;
    }
  }
  return { tooDeep: null, duplicateKeys };
}

/** "record 3, key "name"" — for messages; the key is cut short, since it is the client's text. */
export function describeJsonPlace(place: JsonPlace, clip: (value: string) => string): string {
  return [
    place.record === null ? null : `record ${place.record}`,
    place.key === null ? null : `key "${clip(place.key)}"`,
  ]
    .filter(Boolean)
    .join(', ');
}
