import { mkdir } from 'node:fs/promises';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { loadSavedOperations } from '../../src/http/explorer.js';
import { isLocal, openBrowserFixture, type BrowserFixture } from '../support/browser.js';

describe('the explorer in a real browser, with the network off', () => {
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

  it('loads GraphiQL with the saved operations and runs one, and no request leaves the machine', async () => {
    const page = await browser.newPage();
    const external: string[] = [];
    // Everything not on this machine is recorded and refused, as it would be with no network at all.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      external.push(url);
      return route.abort('internetdisconnected');
    });
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));

    await page.goto(`${baseUrl}/graphql`);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    const tabs = page.locator('.graphiql-tab');
    await expect.poll(() => tabs.count(), { timeout: 15_000 }).toBe(loadSavedOperations().length);

    // The first tab holds the first saved operation (by file name); run it from the GUI.
    const firstOperation = /(?:query|mutation)\s+(\w+)/.exec(loadSavedOperations()[0]!.query)![1]!;
    const [response] = await Promise.all([
      page.waitForResponse(
        (candidate) =>
          candidate.url().endsWith('/graphql') &&
          candidate.request().method() === 'POST' &&
          (candidate.request().postData() ?? '').includes(firstOperation),
      ),
      page.locator('.graphiql-execute-button').click(),
    ]);
    expect(response.status()).toBe(200);
    const body = (await response.json()) as { data?: unknown; errors?: unknown };
    expect(body.errors).toBeUndefined();
    expect(body.data).toBeTruthy();
    await expect
      .poll(() => page.locator('.graphiql-response').innerText(), { timeout: 15_000 })
      .toContain('"data"');

    await mkdir('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/explorer.png' });
    expect(external).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
