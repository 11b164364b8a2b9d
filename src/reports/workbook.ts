import { stringify } from 'csv-stringify/sync';
import ExcelJS from 'exceljs';

import type { ChainReport } from './collect.js';
import { reportTables, SHEET_NAMES, type Cell, type ColumnFormat, type Table } from './tables.js';

const NUMBER_FORMATS: Partial<Record<ColumnFormat, string>> = {
  integer: '0',
  decimal: '0.00',
  ratio: '0.000',
};

function addSheet(workbook: ExcelJS.Workbook, table: Table): void {
  const sheet = workbook.addWorksheet(table.title, {
    // The header row stays in view while scrolling, and prints on every page.
    views: [{ state: 'frozen', ySplit: 1, xSplit: 0 }],
    pageSetup: { paperSize: 9, orientation: 'landscape', fitToPage: true, fitToWidth: 1, fitToHeight: 0 },
  });
  sheet.pageSetup.printTitlesRow = '1:1';
  sheet.columns = table.columns.map((column) => ({
    key: column.key,
    header: column.header,
    width: column.width,
    style: {
      ...(NUMBER_FORMATS[column.format] ? { numFmt: NUMBER_FORMATS[column.format] } : {}),
      alignment: { vertical: 'top', wrapText: column.format === 'wrap' },
    },
  }));
  const header = sheet.getRow(1);
  header.font = { bold: true };
  header.alignment = { vertical: 'middle', wrapText: true };
  header.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFE8EDF3' } };
  for (const row of table.rows) {
    // Numbers stay numbers (the figures a planner sums and sorts); null leaves the cell empty.
    const values: Record<string, Cell> = {};
    for (const column of table.columns) values[column.key] = row[column.key] ?? null;
    sheet.addRow(values);
  }
  if (table.rows.length > 0) {
    sheet.autoFilter = { from: { row: 1, column: 1 }, to: { row: 1, column: table.columns.length } };
  }
}

/** The report as an .xlsx workbook: gaps, targets, comparison and about, in that order. */
export async function chainReportWorkbook(report: ChainReport): Promise<Buffer> {
  const tables = reportTables(report);
  const workbook = new ExcelJS.Workbook();
  workbook.creator = 'chain-kg';
  workbook.title = `${report.data.chainGaps.chain.name} · ${report.data.chainGaps.region.name}`;
  // The answer's time, not the clock's, so the file says when its figures were read.
  workbook.created = new Date(report.generatedAt);
  for (const name of SHEET_NAMES) addSheet(workbook, tables[name]);
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

/** One sheet as CSV (UTF-8 with a byte-order mark, so Excel opens the Chinese text correctly). */
export function chainReportCsv(report: ChainReport, sheet: (typeof SHEET_NAMES)[number]): string {
  const table = reportTables(report)[sheet];
  const body = stringify(
    [
      table.columns.map((column) => column.header),
      ...table.rows.map((row) => table.columns.map((column) => row[column.key] ?? null)),
    ],
    { cast: { boolean: (value) => String(value) } },
  );
  return `\uFEFF${body}`;
}
