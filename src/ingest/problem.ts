/**
 * One thing wrong with what a writer was given, located precisely enough to fix it: the same type and the same
 * wording for the seed loader, the import CLI, the importRecords mutation and startup.
 */
export interface Problem {
  /** The source: a file name, or "content" for the importRecords mutation. */
  readonly file: string;
  /** A table's line (CSV: the line in the file, the header is line 1; JSON: the record number from 1). */
  readonly line: number | null;
  /** A seed file's record: its index in the file's array, and its id when it has one. */
  readonly record?: { readonly index: number; readonly id: string | null } | undefined;
  /** The field (a seed file: its path in the record) or the column (a table: as the file names it). */
  readonly column: string | null;
  readonly reason: string;
}

/** "file, line 3, column name: reason" for a table; "file, record 3 (id), field 'name': reason" for a seed file. */
export function describeProblem(problem: Problem): string {
  const { record } = problem;
  const where = [
    problem.file,
    record !== undefined
      ? `record ${record.index}${record.id ? ` (${record.id})` : ''}`
      : problem.line === null
        ? null
        : `line ${problem.line}`,
    problem.column === null
      ? null
      : record !== undefined
        ? `field '${problem.column}'`
        : `column ${problem.column}`,
  ];
  return `${where.filter((part) => part !== null).join(', ')}: ${problem.reason}`;
}

/** A load refused because of its problems; nothing was written. The message lists the first fifty. */
export class ProblemsError extends Error {
  constructor(
    what: string,
    readonly problems: readonly Problem[],
  ) {
    super(
      `${what} has ${problems.length} problem(s); nothing was written:\n` +
        problems
          .slice(0, 50)
          .map((problem) => `  - ${describeProblem(problem)}`)
          .join('\n') +
        (problems.length > 50 ? `\n  … and ${problems.length - 50} more` : ''),
    );
  }
}

/** A zod issue path as the seed files write it: measures[0].appliesTo.chainIds[2]. */
export function formatPath(pathParts: readonly PropertyKey[]): string | null {
  if (pathParts.length === 0) return null;
  return pathParts
    .map((part, position) =>
      typeof part === 'number' ? `[${part}]` : `${position === 0 ? '' : '.'}${String(part)}`,
    )
    .join('');
}
