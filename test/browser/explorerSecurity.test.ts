import http from 'node:http';
import type { AddressInfo } from 'node:net';

import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createHttpApp, type HttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { launchChromium } from '../support/browser.js';
import { openTestDatabase, testConfig, type TestDatabase } from '../support/database.js';

/**
 * The explorer's Content-Security-Policy as a real browser enforces it: GraphiQL, its editor and its language
 * workers run without a single violation, and another site cannot frame the page.
 */
describe('the explorer under its Content-Security-Policy', () => {
  let database: TestDatabase;
  let app: HttpApp;
  let baseUrl: string;
  let browser: Browser;
  let framer: http.Server;

  beforeAll(async () => {
    database = await openTestDatabase();
    app = await createHttpApp({
      config: testConfig(),
      logger: createLogger('silent'),
      executor: database.executor,
      readiness: { migrationsApplied: true },
    });
    baseUrl = await app.listen();
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await new Promise((resolve) => (framer ? framer.close(resolve) : resolve(undefined)));
    await app?.close();
    await database?.close();
  });

  it('runs GraphiQL, its editor and its workers with no violation reported', async () => {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) =>
        console.error(
          `Content Security Policy violation: ${event.violatedDirective} ${event.blockedURI} ${event.sample}`,
        ),
      );
    });
    const response = await page.goto(`${baseUrl}/graphql`);
    expect(response?.headers()['content-security-policy']).toMatch(/frame-ancestors 'none'/);
    await page.locator('.graphiql-container').first().waitFor({ timeout: 30_000 });
    await page.locator('.graphiql-execute-button').click();
    await expect
      .poll(() => page.locator('.graphiql-response').innerText(), { timeout: 15_000 })
      .toContain('"data"');
    // Typing wakes the editor's language workers (started from blob: URLs).
    await page.locator('.graphiql-query-editor').first().click();
    await page.keyboard.type(' ');
    await expect.poll(() => page.workers().length, { timeout: 15_000 }).toBeGreaterThan(0);
    expect(violations).toEqual([]);
  });

  it('cannot be framed by another origin', async () => {
    // 127.0.0.1 and localhost are different origins: this page on localhost frames the explorer on 127.0.0.1.
    framer = http.createServer((_request, response) => {
      response.setHeader('content-type', 'text/html');
      response.end(`<!doctype html><iframe id="x" src="${baseUrl}/graphql"></iframe>`);
    });
    await new Promise<void>((resolve) => framer.listen(0, '127.0.0.1', resolve));
    const { port } = framer.address() as AddressInfo;
    const page = await browser.newPage();
    const blocked: string[] = [];
    page.on('console', (message) => {
      if (/frame-ancestors|X-Frame-Options|refused to/i.test(message.text())) blocked.push(message.text());
    });
    await page.goto(`http://localhost:${port}/`);
    await expect.poll(() => blocked.length, { timeout: 15_000 }).toBeGreaterThan(0);
    const frame = page.frames().find((candidate) => candidate !== page.mainFrame());
    expect(await frame?.locator('.graphiql-container').count()).toBe(0);
  });
});
