import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';

import { createHttpApp } from '../../src/http/app.js';
import { createLogger } from '../../src/logger.js';
import { openTestDatabase, testConfig } from './database.js';

export const CHROMIUM_PATH = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless. The flags keep it from calling home (these machines are offline, and a test must
 * see only the requests the page itself makes).
 */
export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install Debian's package (apt-get install chromium) or set CHROMIUM_PATH`,
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** True for URLs that stay on this machine (or never touch the network at all). */
export function isLocal(url: string): boolean {
  const { protocol, hostname } = new URL(url);
  if (protocol === 'data:' || protocol === 'blob:' || protocol === 'about:') return true;
  return hostname === '127.0.0.1' || hostname === 'localhost' || hostname === '[::1]';
}

/** The real HTTP app over the test Neo4j, listening on a free port, and a headless Chromium to drive it. */
export interface BrowserFixture {
  readonly baseUrl: string;
  readonly browser: Browser;
  readonly close: () => Promise<void>;
}

export async function openBrowserFixture(): Promise<BrowserFixture> {
  const database = await openTestDatabase();
  const app = await createHttpApp({
    config: testConfig(),
    logger: createLogger('silent'),
    executor: database.executor,
    readiness: { migrationsApplied: true },
  });
  const baseUrl = await app.listen();
  const browser = await launchChromium();
  return {
    baseUrl,
    browser,
    close: async () => {
      await browser.close();
      await app.close();
      await database.close();
    },
  };
}
