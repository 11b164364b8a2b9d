/**
 * Pure formatting of log records for a person at a terminal: one line per record (time, level, message,
 * key=value fields), with any list of flat records (a seed or import summary) laid out as an aligned table beneath.
 * No I/O here; src/logger.ts decides when to use it.
 */

/** A pino record as parsed from its JSON line. */
export type LogRecord = Record<string, unknown>;

export interface PrettyOptions {
  /** ANSI colours; only for a terminal, and never when NO_COLOR is set. */
  readonly colour: boolean;
}

const LEVELS: Record<number, { readonly name: string; readonly colour: string }> = {
  10: { name: 'TRACE', colour: '90' },
  20: { name: 'DEBUG', colour: '90' },
  30: { name: 'INFO', colour: '32' },
  40: { name: 'WARN', colour: '33' },
  50: { name: 'ERROR', colour: '31' },
  60: { name: 'FATAL', colour: '1;31' },
};

/** Fields every record carries that say nothing to a reader at a terminal. */
const OMITTED = new Set(['level', 'time', 'msg', 'pid', 'hostname', 'service']);

// Built from the escape character's code: a literal one in a regular expression reads as a mistake.
const ANSI = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');

/**
 * Columns a string takes in a terminal: East Asian wide and fullwidth characters (Chinese names) take two, combining
 * marks and zero-width characters none. A small table of the Unicode ranges that occur in this project's data
 * (CJK, Hangul, fullwidth forms, CJK punctuation), not the whole of UAX #11.
 */
export function displayWidth(text: string): number {
  let width = 0;
  for (const character of text.replace(ANSI, '')) {
    const code = character.codePointAt(0)!;
    if (isZeroWidth(code)) continue;
    width += isWide(code) ? 2 : 1;
  }
  return width;
}

function isZeroWidth(code: number): boolean {
  return (
    code < 0x20 ||
    (code >= 0x7f && code < 0xa0) ||
    (code >= 0x300 && code <= 0x36f) ||
    (code >= 0x200b && code <= 0x200f) ||
    (code >= 0xfe00 && code <= 0xfe0f)
  );
}

function isWide(code: number): boolean {
  return (
    (code >= 0x1100 && code <= 0x115f) ||
    (code >= 0x2e80 && code <= 0x303e) ||
    (code >= 0x3041 && code <= 0x33ff) ||
    (code >= 0x3400 && code <= 0x4dbf) ||
    (code >= 0x4e00 && code <= 0x9fff) ||
    (code >= 0xa000 && code <= 0xa4cf) ||
    (code >= 0xac00 && code <= 0xd7a3) ||
    (code >= 0xf900 && code <= 0xfaff) ||
    (code >= 0xfe30 && code <= 0xfe4f) ||
    (code >= 0xff00 && code <= 0xff60) ||
    (code >= 0xffe0 && code <= 0xffe6) ||
    (code >= 0x1f300 && code <= 0x1f64f) ||
    (code >= 0x20000 && code <= 0x3fffd)
  );
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

type Cell = string | number | boolean | null | undefined;

/** A list of flat records (every value a string, number, boolean or null): what a table can show. */
export function isTable(value: unknown): value is Record<string, Cell>[] {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every(
      (row: unknown) =>
        typeof row === 'object' &&
        row !== null &&
        !Array.isArray(row) &&
        Object.values(row).every((cell) => cell === null || typeof cell !== 'object'),
    )
  );
}

function cellText(cell: Cell): string {
  if (cell === undefined || cell === null) return '';
  return String(cell);
}

/**
 * Rows as an aligned table: a header of the keys (in order of first appearance), columns two spaces apart, numbers
 * right-aligned (plain digits, which scripts read back), text left-aligned, widths counted in terminal columns so
 * that Chinese names line up. Lines carry no trailing spaces.
 */
export function formatTable(rows: readonly Record<string, Cell>[], indent = ''): string[] {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const numeric = columns.map((column) =>
    rows.every((row) => row[column] === undefined || row[column] === null || typeof row[column] === 'number'),
  );
  const body = rows.map((row) => columns.map((column) => cellText(row[column])));
  const widths = columns.map((column, index) =>
    Math.max(displayWidth(column), ...body.map((cells) => displayWidth(cells[index]!))),
  );
  const line = (cells: readonly string[]) =>
    indent +
    cells
      .map((cell, index) => pad(cell, widths[index]!, numeric[index] ? 'right' : 'left'))
      .join('  ')
      .trimEnd();
  return [line(columns), ...body.map(line)];
}

/** A field value as it reads in key=value: bare when it is one plain word, JSON (quoted) otherwise. */
function fieldText(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=]+$/.test(value) ? value : JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  // A function or symbol has no JSON; its kind is all a log reader can use.
  return JSON.stringify(value) ?? typeof value;
}

function time(epochMs: unknown): string {
  if (typeof epochMs !== 'number') return '--:--:--.---';
  const date = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}.${String(date.getMilliseconds()).padStart(3, '0')}`;
}

/**
 * One record as a person reads it: `07:01:02.345 INFO  message  key=value …`, then, indented beneath, a table for
 * each field that is a list of flat records, and the stack of an error logged at ERROR or FATAL. Ends with "\n".
 */
export function formatPretty(record: LogRecord, options: PrettyOptions): string {
  const paint = (code: string, text: string) => (options.colour ? `\u001b[${code}m${text}\u001b[0m` : text);
  const level = LEVELS[Number(record['level'])] ?? { name: String(record['level']), colour: '0' };
  const fields: string[] = [];
  const below: string[] = [];
  for (const [key, value] of Object.entries(record)) {
    if (OMITTED.has(key) || value === undefined) continue;
    if (isTable(value)) {
      below.push(...formatTable(value, '    ').map((line, index) => (index === 0 ? paint('2', line) : line)));
      continue;
    }
    if (key === 'err' && typeof value === 'object' && value !== null) {
      const error = value as { message?: unknown; stack?: unknown };
      fields.push(`${paint('2', 'err=')}${fieldText(error.message ?? value)}`);
      // A warning's stack is noise to the reader; an error's says where to look.
      if (Number(record['level']) >= 50 && typeof error.stack === 'string') {
        below.push(...error.stack.split('\n').map((line) => paint('2', `    ${line.trim()}`)));
      }
      continue;
    }
    fields.push(`${paint('2', `${key}=`)}${fieldText(value)}`);
  }
  const message = typeof record['msg'] === 'string' ? record['msg'] : '';
  const head = [
    paint('2', time(record['time'])),
    paint(level.colour, level.name.padEnd(5)),
    options.colour ? paint('1', message) : message,
  ].join(' ');
  const line = fields.length > 0 ? `${head}  ${fields.join(' ')}` : head;
  return [line, ...below].join('\n') + '\n';
}
