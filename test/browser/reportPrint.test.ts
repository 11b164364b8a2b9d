import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';

import type { Browser, Page } from 'playwright-core';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildMap } from '../../scripts/build-map.mjs';
import { isLocal, launchChromium } from '../support/browser.js';
import { openTestDatabase, type TestDatabase } from '../support/database.js';
import { postGraphQL, serveTestApp, type TestServer } from '../support/http.js';

/**
 * The printable chain report (issue 16): Chromium prints GET /reports/chain to PDF on A4; the PDF has pages and its
 * text holds the chain's name and the name of the worst gap. The first page is also saved as a picture, for a person
 * to look at (.data/report-first-page.png, not committed). And the chain map's report links point at the chain,
 * region and sources on screen.
 */

const OUTPUT_DIR = path.resolve(import.meta.dirname, '../../.data');
const CHAIN = 'ic';
const REGION = 'shijiazhuang';
/** A4 at 96 CSS pixels per inch. */
const A4 = { width: 794, height: 1123 };

interface GapAnswer {
  chainGaps: { chain: { name: string }; region: { name: string }; gaps: { segment: { name: string } }[] };
}

/**
 * Text as pdf.js extracts it: the layout splits a line into runs, so spacing is not compared; and the CJK font's
 * ToUnicode map gives some ideographs as their Kangxi radicals (石 as ⽯, 工 as ⼯), which NFKC folds back.
 */
function compact(text: string): string {
  return text.normalize('NFKC').replace(/\s+/g, '');
}

describe('the printable chain report', () => {
  let database: TestDatabase;
  let server: TestServer;
  let browser: Browser;
  let expected: GapAnswer['chainGaps'];

  beforeAll(async () => {
    await buildMap();
    database = await openTestDatabase();
    // The seeded graph; a generous deadline, as the report's target search runs on a machine shared by many suites.
    server = await serveTestApp(database.executor, { REQUEST_TIMEOUT_MS: '180000' });
    browser = await launchChromium();
    const answer = await postGraphQL<GapAnswer>(server.url, {
      query: `query ($chainId: ID!, $regionId: ID!) {
        chainGaps(chainId: $chainId, regionId: $regionId) { chain { name } region { name } gaps { segment { name } } }
      }`,
      variables: { chainId: CHAIN, regionId: REGION },
    });
    expect(answer.body.errors).toBeUndefined();
    expected = answer.body.data!.chainGaps;
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await database?.close();
  });

  async function openPage(url: string): Promise<{ page: Page; external: string[]; problems: string[] }> {
    const page = await browser.newPage({ viewport: A4 });
    const external: string[] = [];
    const problems: string[] = [];
    await page.route('**/*', (route) => {
      const requested = route.request().url();
      if (isLocal(requested)) return route.continue();
      external.push(requested);
      return route.abort('internetdisconnected');
    });
    page.on('pageerror', (error) => problems.push(error.message));
    // A Content-Security-Policy violation is reported as a console error.
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    const response = await page.goto(url, { waitUntil: 'load', timeout: 240_000 });
    expect(response?.status(), url).toBe(200);
    return { page, external, problems };
  }

  it('prints to an A4 PDF holding the chain name and the top gap, and saves the first page as a picture', async () => {
    const { page, external, problems } = await openPage(
      `${server.url}/reports/chain?chainId=${CHAIN}&regionId=${REGION}`,
    );
    // The DOM first: the page shows what the gap report says, the worst gap first.
    const firstGapCell = await page
      .locator('section.gaps tbody tr')
      .first()
      .locator('td')
      .first()
      .innerText();
    expect(compact(firstGapCell)).toContain(compact(expected.gaps[0]!.segment.name));
    expect(await page.locator('section.gaps tbody tr').count()).toBe(expected.gaps.length);
    expect(await page.locator('svg.chain-map rect').count()).toBeGreaterThan(0);
    expect(await page.locator('h1').innerText()).toContain(expected.chain.name);

    const pdf = await page.pdf({ format: 'A4', printBackground: true, preferCSSPageSize: true });
    const document = await getDocumentProxy(new Uint8Array(pdf));
    const { totalPages, text } = await extractText(document, { mergePages: true });
    expect(totalPages).toBeGreaterThanOrEqual(1);
    const pdfText = compact(text);
    expect(pdfText).toContain(compact(expected.chain.name));
    expect(pdfText).toContain(compact(expected.region.name));
    expect(pdfText).toContain(compact(expected.gaps[0]!.segment.name));
    // The print stylesheet hides the download links.
    expect(pdfText).not.toContain('下载工作簿');
    // The first page as the printer lays it out (print media, A4 width), for a person to look at.
    await page.emulateMedia({ media: 'print' });
    await mkdir(OUTPUT_DIR, { recursive: true });
    const picture = await page.screenshot({ clip: { x: 0, y: 0, ...A4 } });
    await writeFile(path.join(OUTPUT_DIR, 'report-first-page.png'), picture);
    await writeFile(path.join(OUTPUT_DIR, 'report.pdf'), pdf);
    expect(external).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);

  it('is linked from the chain map for the chain, region and sources on screen', async () => {
    const { page, problems } = await openPage(`${server.url}/map/?chain=${CHAIN}&region=${REGION}`);
    await page.waitForFunction(
      () => (globalThis as unknown as { chainMap?: { state: string } }).chainMap?.state === 'ready',
      undefined,
      { timeout: 240_000 },
    );
    const hrefOf = (id: string) => page.locator(`#${id}`).getAttribute('href');
    const expectedQuery = `chainId=${CHAIN}&regionId=${REGION}&sources=PLAN%2CPUBLIC`;
    expect(await hrefOf('report-xlsx')).toBe(`/reports/chain.xlsx?${expectedQuery}`);
    expect(await hrefOf('report-print')).toBe(`/reports/chain?${expectedQuery}`);
    expect(await hrefOf('report-csv')).toBe(`/reports/chain.csv?${expectedQuery}&sheet=gaps`);
    const csv = await fetch(`${server.url}${await hrefOf('report-csv')}`);
    expect(csv.status).toBe(200);
    expect(await csv.text()).toContain(expected.gaps[0]!.segment.name);
    expect(problems).toEqual([]);
    await page.close();
  }, 300_000);
});
