import { mkdir } from 'node:fs/promises';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSavedOperations } from '../../src/http/explorer.js';
import { isLocal, openBrowserFixture, type BrowserFixture } from '../support/browser.js';

/** The name GraphiQL shows on a tab: the document's operation name. */
const operationName = (query: string) => /^\s*(?:query|mutation)\s+(\w+)/m.exec(query)![1]!;

describe('the explorer starts with the plan’s questions', () => {
  let fixture: BrowserFixture;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    fixture = await openBrowserFixture();
    ({ baseUrl, browser } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  it('opens on a first tab that explains what the service answers, with the tabs in the plan’s order', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await page.route('**/*', (route) =>
      isLocal(route.request().url()) ? route.continue() : route.abort('internetdisconnected'),
    );
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${baseUrl}/`);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    const operations = loadSavedOperations();
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(() => tabs.count(), { timeout: 15_000 }).toBe(operations.length);

    // Tabs left to right: the welcome, the gap report (one per chain), target firms, upstream, targets vs plan,
    // search, then the rest.
    const titles = (await tabs.allInnerTexts()).map((title) => title.trim());
    expect(titles).toEqual(operations.map((operation) => operationName(operation.query)));
    expect(titles.slice(0, 10)).toEqual([
      'Welcome',
      ...Array<string>(5).fill('GapReport'),
      'IcTargetFirms',
      'ShiyaoUpstream',
      'TargetsVersusGraph',
      'Search',
    ]);
    expect(await tabs.first().getAttribute('class')).toMatch(/graphiql-tab-active/);

    // The open editor shows the guide (Monaco draws spaces as no-break spaces).
    const editorText = async () =>
      (await page.locator('.graphiql-query-editor').innerText()).replaceAll('\u00a0', ' ');
    await expect.poll(editorText, { timeout: 15_000 }).toContain('It answers the plan');
    const text = await editorText();
    expect(text).toContain('Where is each chain weak or broken');
    expect(text).toContain('Who would fill a gap');
    expect(text).toContain('tab 2–6 GapReport');
    expect(text).toContain('tab 7 IcTargetFirms');

    // The first tab runs as it stands: the guide is comments above a cheap operation.
    const [response] = await Promise.all([
      page.waitForResponse(
        (candidate) =>
          candidate.url().endsWith('/graphql') &&
          candidate.request().method() === 'POST' &&
          (candidate.request().postData() ?? '').includes('Welcome'),
      ),
      page.locator('.graphiql-execute-button').click(),
    ]);
    const body = (await response.json()) as { data?: { chains?: unknown[] }; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data?.chains).toHaveLength(5);

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/explorer-start.png' });
    expect(pageErrors).toEqual([]);
  });
});
