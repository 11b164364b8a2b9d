import { Writable } from 'node:stream';

import { describe, expect, it } from 'vitest';

import { ConfigError, loadConfig } from '../../src/config.js';
import { displayWidth, formatPretty, formatTable } from '../../src/logFormat.js';
import { createLogger, logOutputFor, type LogOutput } from '../../src/logger.js';

/** A destination that keeps what a logger wrote. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

const ESC = String.fromCharCode(27);
const SUMMARY = [
  { kind: 'Enterprise', total: 1234, created: 1200, updated: 30, unchanged: 4 },
  { kind: '石药集团', total: 7, created: 0, updated: 0, unchanged: 7 },
  { kind: '(:Enterprise)-[:IN_SEGMENT]->(:ChainSegment)', total: 88, created: 88, updated: 0, unchanged: 0 },
];

describe('pretty log lines', () => {
  it('reads as time, level, message and key=value fields, without the bookkeeping fields', () => {
    const time = new Date(2026, 11, 2, 7, 1, 2, 345).getTime();
    const line = formatPretty(
      {
        level: 30,
        time,
        pid: 42,
        hostname: 'h',
        service: 'chain-kg',
        msg: 'GraphQL service ready',
        url: 'http://127.0.0.1:4000/graphql',
        note: 'two words',
        count: 3,
        ok: true,
      },
      { colour: false },
    );
    expect(line).toBe(
      '07:01:02.345 INFO  GraphQL service ready  url=http://127.0.0.1:4000/graphql note="two words" count=3 ok=true\n',
    );
    expect(line).not.toContain('{"');
    expect(line).not.toContain(ESC);
  });

  it('colours only when asked, and shows an error by its message with its stack only at ERROR and above', () => {
    const err = {
      type: 'Error',
      message: 'Neo4j is gone',
      stack: 'Error: Neo4j is gone\n    at probe (x.ts:1:1)',
    };
    const warning = formatPretty({ level: 40, time: 0, msg: 'Unreachable', err }, { colour: false });
    expect(warning.split('\n')[0]).toMatch(/WARN {2}Unreachable {2}err="Neo4j is gone"$/);
    expect(warning).not.toContain('at probe');
    const fatal = formatPretty({ level: 60, time: 0, msg: 'Exiting', err }, { colour: true });
    expect(fatal).toContain(`${ESC}[`);
    expect(fatal).toContain('FATAL');
    expect(fatal).toContain('    at probe (x.ts:1:1)');
  });

  it('lays a list of flat records out as a table under the line', () => {
    const text = formatPretty(
      { level: 30, time: 0, msg: 'Seed data loaded', summary: SUMMARY },
      { colour: false },
    );
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toMatch(/INFO {2}Seed data loaded$/);
    expect(lines.slice(1)).toEqual(formatTable(SUMMARY, '    '));
  });
});

describe('tables', () => {
  it('counts Chinese characters as two columns', () => {
    expect(displayWidth('石药集团')).toBe(8);
    expect(displayWidth('LED 芯片')).toBe(8);
    expect(displayWidth('（全角）')).toBe(8);
    expect(displayWidth(`${ESC}[31mred${ESC}[0m`)).toBe(3);
  });

  it('aligns columns by terminal width, numbers to the right, text to the left', () => {
    const lines = formatTable(SUMMARY);
    expect(lines).toHaveLength(4);
    expect(lines[0]!.split(/\s+/)).toEqual(['kind', 'total', 'created', 'updated', 'unchanged']);
    // Every column ends at the same terminal column on every line: the numbers' last digits line up.
    const ends = (line: string) =>
      [...line.matchAll(/\S+/g)]
        .slice(-4)
        .map((match) => displayWidth(line.slice(0, match.index + match[0].length)));
    const header = ends(lines[0]!);
    for (const line of lines.slice(1)) expect(ends(line)).toEqual(header);
    // The text column starts every row at the left edge, padded by width, not by characters.
    expect(lines[2]!.startsWith('石药集团 ')).toBe(true);
    expect(displayWidth(lines[2]!.slice(0, lines[2]!.search(/\d/)).trimEnd())).toBe(8);
    expect(displayWidth(lines[2]!)).toBe(displayWidth(lines[3]!));
    expect(lines.every((line) => line === line.trimEnd())).toBe(true);
  });
});

describe('the logger', () => {
  const write = (output: LogOutput | undefined) => {
    const sink = capture();
    const logger = createLogger('info', sink.stream, output);
    logger.info({ summary: SUMMARY, password: 'secret' }, 'Seed data loaded');
    logger.flush();
    return sink.text();
  };

  it('writes JSON lines of the same shape as before, the summary as a list of records', () => {
    const text = write(undefined);
    expect(text.trimEnd().split('\n')).toHaveLength(1);
    const record = JSON.parse(text) as Record<string, unknown>;
    expect(Object.keys(record).sort()).toEqual(
      ['level', 'msg', 'password', 'service', 'summary', 'time'].sort(),
    );
    expect(record).toMatchObject({
      level: 30,
      msg: 'Seed data loaded',
      service: 'chain-kg',
      password: '[redacted]',
    });
    expect(record['summary']).toEqual(SUMMARY);
    // Colour means nothing to JSON lines.
    const coloured = JSON.parse(write({ format: 'json', colour: true })) as Record<string, unknown>;
    expect(Object.keys(coloured)).toEqual(Object.keys(record));
    expect(JSON.stringify(coloured)).not.toContain(ESC);
  });

  it('writes readable lines and tables in pretty mode, still redacting secrets', () => {
    const text = write({ format: 'pretty', colour: false });
    expect(text).not.toContain('{"');
    expect(text).toContain('Seed data loaded');
    expect(text).toContain('password=[redacted]');
    expect(text).toContain(formatTable(SUMMARY, '    ').join('\n'));
  });

  it('picks pretty on a terminal and JSON when piped, colours only on a terminal without NO_COLOR', () => {
    const auto = loadConfig({});
    expect(auto.logFormat).toBe('auto');
    expect(logOutputFor(auto, { isTTY: true })).toEqual({ format: 'pretty', colour: true });
    expect(logOutputFor(auto, { isTTY: false })).toEqual({ format: 'json', colour: false });
    expect(logOutputFor(loadConfig({ NO_COLOR: '1' }), { isTTY: true })).toEqual({
      format: 'pretty',
      colour: false,
    });
    expect(logOutputFor(loadConfig({ LOG_FORMAT: 'pretty' }), {})).toEqual({
      format: 'pretty',
      colour: false,
    });
    expect(logOutputFor(loadConfig({ LOG_FORMAT: 'json' }), { isTTY: true })).toEqual({
      format: 'json',
      colour: false,
    });
  });

  it('refuses an unknown LOG_FORMAT with a message naming it', () => {
    expect(() => loadConfig({ LOG_FORMAT: 'fancy' })).toThrow(ConfigError);
    expect(() => loadConfig({ LOG_FORMAT: 'fancy' })).toThrow(
      'LOG_FORMAT="fancy": expected auto, pretty or json',
    );
  });
});
