import type { ApolloServer } from '@apollo/server';
import express, { type Request, type Response } from 'express';
import type { GraphQLFormattedError } from 'graphql';

import { ErrorCode } from '../errors.js';
import type { GraphQLContext } from '../graphql/context.js';
import {
  collectChainReport,
  parseReportRequest,
  ReportError,
  statusOfCode,
  type ChainReport,
} from '../reports/collect.js';
import { chainReportPage, REPORT_CSS } from '../reports/html.js';
import { SHEET_NAMES, type SheetName } from '../reports/tables.js';
import { chainReportCsv, chainReportWorkbook } from '../reports/workbook.js';
import { setPageSecurityHeaders } from './pageHeaders.js';

/**
 * The printable page loads nothing but its own stylesheet: no script at all, no inline style, images only inline
 * (its map is an inline SVG). Stricter than the map page's policy, which needs script.
 */
const REPORT_PAGE_POLICY = [
  "default-src 'none'",
  "style-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export type ContextFor = (request: Request, response: Response) => Promise<GraphQLContext>;

/** A file name safe in a header: ids keep [A-Za-z0-9._-], anything else becomes '_'. */
function safeName(value: string): string {
  return value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 64);
}

function contentDisposition(report: ChainReport, extension: string, sheet?: SheetName): string {
  const { chain, region } = report.data.chainGaps;
  const suffix = sheet ? `-${sheet}` : '';
  const ascii = `chain-report-${safeName(chain.id)}-${safeName(region.id)}${suffix}.${extension}`;
  // The Chinese names for browsers that read RFC 6266's filename*, the ids for those that do not.
  const unicode = `${chain.name}-${region.name}-产业链报告${suffix}.${extension}`;
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(unicode)}`;
}

function sendErrors(response: Response, status: number, errors: readonly GraphQLFormattedError[]): void {
  response.status(status).json({ errors });
}

/**
 * The chain report endpoints: GET /reports/chain.xlsx, /reports/chain.csv?sheet= and the printable /reports/chain.
 * Each runs the saved ChainReport operation through Apollo with the caller's own context (see collect.ts), so a
 * report can do nothing a POST to /graphql with the same credential could not.
 */
export function createReportsRouter(
  apollo: ApolloServer<GraphQLContext>,
  contextFor: ContextFor,
): express.Router {
  const router = express.Router();

  const withReport =
    (send: (report: ChainReport, request: Request, response: Response) => Promise<void> | void) =>
    async (request: Request, response: Response): Promise<void> => {
      try {
        const parameters = parseReportRequest(request.query);
        const sheet = request.query['sheet'];
        if (request.path === '/chain.csv' && !SHEET_NAMES.includes(sheet as SheetName)) {
          throw new ReportError(400, [
            {
              message: `Parameter 'sheet': give one of ${SHEET_NAMES.join(', ')}`,
              extensions: { code: ErrorCode.BAD_USER_INPUT, parameter: 'sheet' },
            },
          ]);
        }
        const report = await collectChainReport(apollo, await contextFor(request, response), parameters);
        await send(report, request, response);
      } catch (error) {
        if (error instanceof ReportError) {
          for (const [name, value] of error.headers) response.setHeader(name, value);
          sendErrors(response, error.status, error.errors);
          return;
        }
        // The credential was refused while the context was built (a bad token): its AppError says why.
        const { extensions, message } = (error ?? {}) as {
          extensions?: Record<string, unknown>;
          message?: string;
        };
        if (
          extensions &&
          typeof extensions['code'] === 'string' &&
          extensions['code'] !== 'INTERNAL_SERVER_ERROR'
        ) {
          sendErrors(response, statusOfCode(extensions['code']), [
            { message: message ?? '', extensions: { code: extensions['code'] } },
          ]);
          return;
        }
        throw error;
      }
    };

  router.get(
    '/chain.xlsx',
    withReport(async (report, _request, response) => {
      const workbook = await chainReportWorkbook(report);
      response
        .status(200)
        .type('application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')
        .setHeader('content-disposition', contentDisposition(report, 'xlsx'))
        .setHeader('cache-control', 'no-store')
        .send(workbook);
    }),
  );

  router.get(
    '/chain.csv',
    withReport((report, request, response) => {
      const sheet = request.query['sheet'] as SheetName;
      response
        .status(200)
        .type('text/csv; charset=utf-8')
        .setHeader('content-disposition', contentDisposition(report, 'csv', sheet))
        .setHeader('cache-control', 'no-store')
        .send(chainReportCsv(report, sheet));
    }),
  );

  router.get(
    '/chain',
    withReport((report, _request, response) => {
      setPageSecurityHeaders(response, REPORT_PAGE_POLICY);
      response.status(200).type('text/html; charset=utf-8').setHeader('cache-control', 'no-store');
      response.send(chainReportPage(report));
    }),
  );

  router.get('/report.css', (_request, response) => {
    response
      .status(200)
      .type('text/css; charset=utf-8')
      .setHeader('cache-control', 'no-cache')
      .send(REPORT_CSS);
  });

  return router;
}
