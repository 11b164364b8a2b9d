import { z } from 'zod';

import { oneOf, text } from '../../ingest/records.js';
import { INDUSTRY_SCHEME, SEGMENT_ROLE } from '../../ingest/vocabulary.js';

/**
 * The reviewed mapping from published industry classes to the chains' segments (seeds/public/industry-segments.json).
 * An industry is not a segment: a row exists only where every company of the class really works in the segment, and
 * a link derived from it says so (basis INDUSTRY_CLASSIFICATION). Industries outside the five chains have no row.
 */

export const industryMappingRow = z.strictObject({
  scheme: oneOf(INDUSTRY_SCHEME),
  /** The 申万 code (six digits); Tushare's industries have none and are named only. */
  code: z
    .string()
    .regex(/^\d{6}$/, { message: 'must be a six-digit 申万 code' })
    .optional(),
  name: text,
  segments: z
    .array(z.strictObject({ segmentId: text, role: oneOf(SEGMENT_ROLE) }))
    .min(1, { message: 'a row maps to at least one segment' }),
  /**
   * A 申万 row: the 2025 list's own industries (Tushare) that confirm the 2021 class. A company whose 2025 industry is
   * not one of them gets no link from the row: its 2021 class may be stale (renamed or reorganised since).
   */
  confirmedBy: z.array(text).min(1).optional(),
  note: text,
});
export type IndustryMappingRow = z.infer<typeof industryMappingRow>;

/** The key of an industry in a scheme: the 申万 code, or the Tushare name. */
export const industryKey = (scheme: string, codeOrName: string) => `${scheme}|${codeOrName}`;

export interface MappingCheck {
  readonly rows: readonly IndustryMappingRow[];
  /** What is wrong with the table, each naming the row (its index from 0, and its industry). */
  readonly problems: readonly { readonly row: number; readonly field: string; readonly reason: string }[];
}

/**
 * Parses and checks the table: every row valid, its 申万 code in the 申万 industry list under the same name, every
 * segment one of the chains', no industry twice. A row with a problem is left out of `rows`.
 */
export function checkMapping(
  raw: unknown,
  swIndustries: ReadonlyMap<string, string>,
  segmentIds: ReadonlySet<string>,
): MappingCheck {
  const problems: { row: number; field: string; reason: string }[] = [];
  if (!Array.isArray(raw)) {
    return { rows: [], problems: [{ row: 0, field: '', reason: 'expected a JSON array of rows' }] };
  }
  const rows: IndustryMappingRow[] = [];
  const seen = new Map<string, number>();
  raw.forEach((value: unknown, index) => {
    const parsed = industryMappingRow.safeParse(value);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push({ row: index, field: issue.path.join('.'), reason: issue.message });
      return;
    }
    const row = parsed.data;
    const before = problems.length;
    if (row.scheme === 'SW2021') {
      if (row.code === undefined)
        problems.push({ row: index, field: 'code', reason: 'a 申万 row needs its code' });
      else if (!swIndustries.has(row.code))
        problems.push({ row: index, field: 'code', reason: `no 申万 industry with code ${row.code}` });
      else if (swIndustries.get(row.code) !== row.name)
        problems.push({
          row: index,
          field: 'name',
          reason: `申万 ${row.code} is ${swIndustries.get(row.code)}, not ${row.name}`,
        });
      if (row.confirmedBy === undefined)
        problems.push({
          row: index,
          field: 'confirmedBy',
          reason: 'a 申万 row lists the 2025 industries that confirm it',
        });
    } else if (row.code !== undefined) {
      problems.push({ row: index, field: 'code', reason: 'Tushare industries have no code: name them only' });
    }
    const key = industryKey(row.scheme, row.code ?? row.name);
    const first = seen.get(key);
    if (first !== undefined)
      problems.push({ row: index, field: 'code', reason: `duplicate of row ${first}` });
    seen.set(key, index);
    const segmentsSeen = new Set<string>();
    row.segments.forEach(({ segmentId }, position) => {
      if (!segmentIds.has(segmentId))
        problems.push({
          row: index,
          field: `segments[${position}]`,
          reason: `no segment with id '${segmentId}'`,
        });
      if (segmentsSeen.has(segmentId))
        problems.push({
          row: index,
          field: `segments[${position}]`,
          reason: `'${segmentId}' is listed twice`,
        });
      segmentsSeen.add(segmentId);
    });
    if (problems.length === before) rows.push(row);
  });
  return { rows, problems };
}
