import { requireRole } from '../../auth.js';
import { badUserInput } from '../../errors.js';
import { ImportContentError, importSources } from '../../import/importer.js';
import type { KindName } from '../../import/kinds.js';
import type { ImportKind, Resolvers } from '../generated/resolvers.js';

const KIND_NAME: Readonly<Record<ImportKind, KindName>> = {
  ENTERPRISES: 'enterprises',
  SEGMENT_LINKS: 'segment-links',
  SUPPLIES: 'supplies',
  PLATFORMS: 'platforms',
  POLICIES: 'policies',
  REGIONS: 'regions',
};
const IMPORT_KIND = Object.fromEntries(
  Object.entries(KIND_NAME).map(([kind, name]) => [name, kind]),
) as Record<KindName, ImportKind>;

/** Small batches over GraphQL, through exactly the pipeline `npm run import` uses. */
export const MAX_ROWS_PER_REQUEST = 5000;

export const importResolvers: Resolvers = {
  Mutation: {
    importRecords: async (_parent, { kind, format, content, acceptValid, defaultSource }, context) => {
      const caller = requireRole(context.caller, 'editor', 'Importing records');
      const result = await importSources(
        context.executor,
        [{ name: 'content', content, format: format === 'CSV' ? 'csv' : 'json', kind: KIND_NAME[kind] }],
        {
          acceptValid: acceptValid ?? false,
          defaultSource: defaultSource ?? undefined,
          maxRows: MAX_ROWS_PER_REQUEST,
        },
      ).catch((error: unknown) => {
        // Content unsafe to read at all is a bad argument, not a row problem.
        if (error instanceof ImportContentError)
          throw badUserInput('content', `${error.where}: ${error.problem.reason}`);
        throw error;
      });
      context.logger.info(
        {
          caller: caller.name,
          kind,
          written: result.written,
          rejected: result.rejected.length,
          summary: result.summaries,
        },
        'importRecords',
      );
      return {
        written: result.written,
        summaries: result.summaries.map((summary) => ({ ...summary, kind: IMPORT_KIND[summary.kind] })),
        problems: result.problems.map((problem) => ({
          line: problem.line,
          column: problem.column,
          reason: problem.reason,
        })),
        rejectedLines: result.rejected.map((row) => row.line),
      };
    },
  },
};
