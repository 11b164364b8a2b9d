import { readFile, mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import express from 'express';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { buildMap } from '../../scripts/build-map.mjs';
import { createMapRouter } from '../../src/http/map.js';
import { isLocal, openBrowserFixture, type BrowserFixture } from '../support/browser.js';

const CHAINS = ['ic', 'nev', 'led', 'biomedicine', 'military-civil'] as const;
const STATUSES = ['MISSING', 'UNKNOWN', 'DEPENDENT', 'WEAK', 'COVERED'] as const;
const STAGE_ORDER = ['INBOUND', 'UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM', 'OUTBOUND'];

// What the page exposes on `window.chainMap` (web/map/src/main.ts). The page's own types use the DOM library,
// which the Node-side test project does not load, so the shape is restated here.
interface NodeSummary {
  id: string;
  kind: 'segment' | 'external';
  label: string;
  column: string;
  chainId: string;
  status: string | null;
  localEnterpriseCount: number | null;
  color: string;
  x: number;
  y: number;
}
interface EdgeSummary {
  source: string;
  target: string;
  kind: string;
  lineStyle: string;
}
interface MapWindow {
  chainMap?: {
    state: 'loading' | 'ready' | 'error';
    chainId: string;
    regionId: string;
    lang: 'zh' | 'en';
    sources: string[] | null;
    palette: Record<string, { fill: string; border: string }>;
    summary(): { nodes: NodeSummary[]; edges: EdgeSummary[] };
    clientPoint(id: string): { x: number; y: number } | null;
  };
}

interface Gap {
  segment: { id: string };
  status: string;
  localEnterpriseCount: number;
}

function rgb(hex: string): string {
  const value = Number.parseInt(hex.slice(1), 16);
  return `rgb(${(value >> 16) & 255},${(value >> 8) & 255},${value & 255})`;
}

function normaliseColour(colour: string): string {
  return colour.replace(/\s+/g, '');
}

describe('the chain map in a real browser, with the network off', () => {
  let fixture: BrowserFixture;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    // The page is served from web/map/dist, so the bundle under test is built from the sources first.
    await buildMap();
    fixture = await openBrowserFixture();
    ({ baseUrl, browser } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  async function graphql<TData>(query: string, variables: Record<string, unknown> = {}): Promise<TData> {
    const response = await fetch(`${baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: TData; errors?: unknown };
    expect(body.errors).toBeUndefined();
    return body.data!;
  }

  interface OpenedPage {
    page: Page;
    /** Requests that tried to leave the machine (all refused). */
    external: string[];
    /** Uncaught exceptions and console errors in the page. */
    problems: string[];
  }

  async function openPage(): Promise<OpenedPage> {
    const page = await browser.newPage({ viewport: { width: 1800, height: 1100 } });
    const external: string[] = [];
    const problems: string[] = [];
    // Everything not on this machine is recorded and refused, as it would be with no network at all.
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (isLocal(url)) return route.continue();
      external.push(url);
      return route.abort('internetdisconnected');
    });
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(message.text());
    });
    return { page, external, problems };
  }

  async function waitForMap(page: Page, chainId: string, state: 'ready' | 'error' = 'ready'): Promise<void> {
    await page.waitForFunction(
      ([chain, wanted]) => {
        const map = (globalThis as unknown as MapWindow).chainMap;
        return map !== undefined && map.state === wanted && map.chainId === chain;
      },
      [chainId, state] as const,
      { timeout: 30_000 },
    );
  }

  async function openMap(query: string, chainId: string): Promise<OpenedPage> {
    const opened = await openPage();
    await opened.page.goto(`${baseUrl}/map?${query}`);
    await waitForMap(opened.page, chainId);
    return opened;
  }

  function summary(page: Page): Promise<{ nodes: NodeSummary[]; edges: EdgeSummary[] }> {
    return page.evaluate(() => (globalThis as unknown as MapWindow).chainMap!.summary());
  }

  async function clickNode(page: Page, id: string): Promise<void> {
    const point = await page.evaluate(
      (nodeId) => (globalThis as unknown as MapWindow).chainMap!.clientPoint(nodeId),
      id,
    );
    expect(point, `${id} is drawn`).not.toBeNull();
    await page.mouse.click(point!.x, point!.y);
  }

  it('loads with no request leaving the machine, from the service itself, without errors', async () => {
    const { page, external, problems } = await openPage();
    const requested: string[] = [];
    page.on('request', (request) => requested.push(new URL(request.url()).pathname));
    const response = await page.goto(`${baseUrl}/map`);
    expect(response?.status()).toBe(200);
    expect(response?.headers()['content-security-policy']).toContain("connect-src 'self'");
    await waitForMap(page, 'biomedicine');
    // The default region is Shijiazhuang; the default chain is the first one listed.
    expect(await page.evaluate(() => (globalThis as unknown as MapWindow).chainMap!.regionId)).toBe(
      'shijiazhuang',
    );
    await expect.poll(() => page.locator('#region-picker option').count()).toBeGreaterThan(40);
    expect(await page.locator('#chain-picker option').count()).toBe(CHAINS.length);
    expect(requested).toEqual(expect.arrayContaining(['/map', '/map/map.js', '/map/map.css', '/graphql']));

    // Opening a segment (more GraphQL) and switching language must not reach out either.
    await page.locator('#segment-picker').selectOption({ index: 1 });
    await page.locator('#panel .panel-section').first().waitFor();
    await page.locator('#language-toggle').click();
    await page.waitForFunction(() => (globalThis as unknown as MapWindow).chainMap!.lang === 'en');

    expect(external).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it('draws every segment of each of the five chains, the stages as columns, links to other chains dashed', async () => {
    for (const chainId of CHAINS) {
      const { chain } = await graphql<{ chain: { segments: { id: string }[] } }>(
        'query ($id: ID!) { chain(id: $id) { segments { id } } }',
        { id: chainId },
      );
      const { page, problems } = await openMap(`chain=${chainId}`, chainId);
      const { nodes, edges } = await summary(page);
      const own = nodes.filter((node) => node.kind === 'segment');
      expect(own.length, chainId).toBe(chain.segments.length);
      expect(own.map((node) => node.id).sort(), chainId).toEqual(
        chain.segments.map((segment) => segment.id).sort(),
      );
      expect(own.every((node) => node.chainId === chainId)).toBe(true);

      // Layered: every node of a column lies left of every node of the next column.
      const columns = STAGE_ORDER.map((column) => nodes.filter((node) => node.column === column)).filter(
        (members) => members.length > 0,
      );
      for (let index = 0; index + 1 < columns.length; index += 1) {
        const rightmost = Math.max(...columns[index]!.map((node) => node.x));
        const leftmost = Math.min(...columns[index + 1]!.map((node) => node.x));
        expect(rightmost, `${chainId}: ${columns[index]![0]!.column} before the next column`).toBeLessThan(
          leftmost,
        );
      }

      const others = nodes.filter((node) => node.kind === 'external');
      expect(
        others.every((node) => node.chainId !== chainId && ['INBOUND', 'OUTBOUND'].includes(node.column)),
      ).toBe(true);
      const crossLinks = edges.filter((edge) => edge.kind === 'cross');
      // The map opens on real data: biomedicine's only links to other chains (to OLED materials and aviation
      // operations) are illustrative, so it shows none until the demo data is asked for.
      if (chainId === 'biomedicine') expect(crossLinks.length, 'biomedicine, real data').toBe(0);
      else expect(crossLinks.length, `${chainId} has links to other chains`).toBeGreaterThan(0);
      expect(crossLinks.every((edge) => edge.lineStyle === 'dashed')).toBe(true);
      expect(edges.filter((edge) => edge.kind === 'feeds').every((edge) => edge.lineStyle === 'solid')).toBe(
        true,
      );
      expect(problems).toEqual([]);
      await page.close();
    }
  });

  it('colours and badges each segment by its gap status in Shijiazhuang, as chainGaps reports it', async () => {
    for (const chainId of ['ic', 'nev', 'biomedicine']) {
      const { chainGaps } = await graphql<{ chainGaps: { gaps: Gap[] } }>(
        `
          query ($chainId: ID!) {
            chainGaps(chainId: $chainId, regionId: "shijiazhuang") {
              gaps {
                segment {
                  id
                }
                status
                localEnterpriseCount
              }
            }
          }
        `,
        { chainId },
      );
      const { page } = await openMap(`chain=${chainId}&region=shijiazhuang`, chainId);
      const palette = await page.evaluate(() => (globalThis as unknown as MapWindow).chainMap!.palette);
      const { nodes } = await summary(page);
      const byId = new Map(nodes.map((node) => [node.id, node]));
      expect(
        new Set(chainGaps.gaps.map((gap) => gap.status)).size,
        `${chainId} shows several statuses`,
      ).toBeGreaterThan(1);
      for (const gap of chainGaps.gaps) {
        const node = byId.get(gap.segment.id);
        expect(node, gap.segment.id).toBeDefined();
        expect(node!.status, gap.segment.id).toBe(gap.status);
        expect(normaliseColour(node!.color), gap.segment.id).toBe(rgb(palette[gap.status]!.fill));
        expect(node!.localEnterpriseCount, gap.segment.id).toBe(gap.localEnterpriseCount);
      }
      // Five statuses, five distinct colours.
      expect(new Set(STATUSES.map((status) => palette[status]!.fill)).size).toBe(5);
      await page.close();
    }
  });

  it('lists the target firms of a gap segment in the side panel when the segment is clicked', async () => {
    // The worst IC gap in Shijiazhuang that has recommendations, chosen through the API rather than assumed. The
    // city's firm data is not a census, so a segment with no recorded firm is UNKNOWN rather than MISSING.
    const { chainGaps } = await graphql<{ chainGaps: { gaps: Gap[] } }>(
      '{ chainGaps(chainId: "ic", regionId: "shijiazhuang") { gaps { segment { id } status } } }',
    );
    let chosen: { id: string; names: string[] } | undefined;
    for (const gap of chainGaps.gaps.filter((candidate) => candidate.status === 'UNKNOWN')) {
      const { targetFirms } = await graphql<{
        targetFirms: { recommendations: { enterprise: { name: string } }[] };
      }>(
        `
          query ($segmentId: ID!) {
            targetFirms(segmentId: $segmentId, regionId: "shijiazhuang", first: 5) {
              recommendations {
                enterprise {
                  name
                }
              }
            }
          }
        `,
        { segmentId: gap.segment.id },
      );
      if (targetFirms.recommendations.length > 0) {
        chosen = {
          id: gap.segment.id,
          names: targetFirms.recommendations.map((item) => item.enterprise.name),
        };
        break;
      }
    }
    expect(chosen, 'an IC segment with no recorded firm and with target firms').toBeDefined();

    const { page, problems } = await openMap('chain=ic&region=shijiazhuang', 'ic');
    await page.locator('#map').focus();
    await clickNode(page, chosen!.id);
    const panel = page.locator('#panel');
    await panel.waitFor({ state: 'visible' });
    const targets = panel.locator('ol.targets > li');
    await expect.poll(() => targets.count(), { timeout: 15_000 }).toBe(chosen!.names.length);
    const shown = await panel.locator('ol.targets > li .target-head .item-name').allInnerTexts();
    expect(shown).toEqual(chosen!.names);
    // Each firm carries its five score factors and the incentives that apply.
    expect(await targets.first().locator('.factors li').count()).toBe(5);
    expect(await targets.first().locator('.target-incentives summary').innerText()).toMatch(/\(\d+\)/);
    // The gap's reasons are there, in Chinese by default.
    expect(await panel.locator('.reasons li').count()).toBeGreaterThan(0);
    expect(await panel.locator('.status-pill').getAttribute('data-status')).toBe('UNKNOWN');
    expect(page.url()).toContain(`segment=${chosen!.id}`);

    // The panel is closable from the keyboard, and focus goes back where it was.
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement
            .id,
      ),
    ).toBe('panel-title');
    await page.keyboard.press('Escape');
    await panel.waitFor({ state: 'hidden' });
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { document: { activeElement: { id: string } } }).document.activeElement
            .id,
      ),
    ).toBe('map');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('switches labels between Chinese and English with the language toggle', async () => {
    const { segment } = await graphql<{ segment: { name: string; nameEn: string } }>(
      '{ segment(id: "ic-photoresist") { name nameEn } }',
    );
    const labelOf = async (page: Page) =>
      (await summary(page)).nodes.find((node) => node.id === 'ic-photoresist')?.label;
    const { page } = await openMap('chain=ic', 'ic');
    expect(await labelOf(page)).toBe(segment.name);
    expect(await page.locator('h1').innerText()).toBe('产业链图谱');

    const toggle = page.locator('#language-toggle');
    await toggle.click();
    await page.waitForFunction(() => (globalThis as unknown as MapWindow).chainMap!.lang === 'en');
    expect(await labelOf(page)).toBe(segment.nameEn);
    expect(await page.locator('h1').innerText()).toBe('Chain map');
    expect(await toggle.getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('#chain-picker option:checked').innerText()).toBe('Integrated circuits');

    await toggle.click();
    await page.waitForFunction(() => (globalThis as unknown as MapWindow).chainMap!.lang === 'zh');
    expect(await labelOf(page)).toBe(segment.name);
    expect(await page.locator('h1').innerText()).toBe('产业链图谱');
    await page.close();
  });

  it('exports the map as a PNG image and as SVG, as downloads', async () => {
    const { page, problems } = await openMap('chain=led', 'led');
    const [png] = await Promise.all([page.waitForEvent('download'), page.locator('#export-png').click()]);
    expect(png.suggestedFilename()).toBe('chain-map-led-shijiazhuang.png');
    const image = await readFile(await png.path());
    expect([...image.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    expect(image.length).toBeGreaterThan(50_000);
    // The IHDR chunk gives the image size: the whole map at twice the scale, not a blank thumbnail.
    expect(image.readUInt32BE(16)).toBeGreaterThan(1000);
    expect(image.readUInt32BE(20)).toBeGreaterThan(300);

    const [svg] = await Promise.all([page.waitForEvent('download'), page.locator('#export-svg').click()]);
    expect(svg.suggestedFilename()).toBe('chain-map-led-shijiazhuang.svg');
    const text = await readFile(await svg.path(), 'utf8');
    expect(text).toContain('<svg');
    // The labels are in the drawing as text.
    expect(text).toContain('外延片');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('opens on real data, and adds the demo data only when asked, with a notice saying so', async () => {
    const query = (sources: string) => `
      {
        chainGaps(chainId: "nev", regionId: "shijiazhuang", sources: ${sources}) {
          gaps {
            segment {
              id
            }
            status
            localEnterpriseCount
          }
        }
      }
    `;
    const real = await graphql<{ chainGaps: { gaps: Gap[] } }>(query('[PLAN, PUBLIC]'));
    const demo = await graphql<{ chainGaps: { gaps: Gap[] } }>(query('[PLAN, PUBLIC, ILLUSTRATIVE]'));
    const expectShown = async (page: Page, gaps: readonly Gap[]) => {
      const { nodes } = await summary(page);
      const byId = new Map(nodes.map((node) => [node.id, node]));
      for (const gap of gaps) {
        expect(byId.get(gap.segment.id)?.status, gap.segment.id).toBe(gap.status);
        expect(byId.get(gap.segment.id)?.localEnterpriseCount, gap.segment.id).toBe(gap.localEnterpriseCount);
      }
    };
    const { page } = await openMap('chain=nev', 'nev');
    // Real data by default: no notice, and the statuses the API gives for PLAN and PUBLIC.
    expect(await page.locator('#demo-notice').isVisible()).toBe(false);
    await expectShown(page, real.chainGaps.gaps);
    // Asking for the demo data sends ILLUSTRATIVE too, shows the notice and puts demo=1 in the address.
    const [request] = await Promise.all([
      page.waitForRequest((candidate) => (candidate.postData() ?? '').includes('"MapChain"')),
      page.locator('#show-illustrative').check(),
    ]);
    expect((request.postDataJSON() as { variables: { sources: unknown } }).variables.sources).toEqual([
      'PLAN',
      'PUBLIC',
      'ILLUSTRATIVE',
    ]);
    await waitForMap(page, 'nev');
    await expectShown(page, demo.chainGaps.gaps);
    await page.locator('#demo-notice').waitFor({ state: 'visible' });
    expect(page.url()).toContain('demo=1');
    await page.close();
  });

  it('shows the GraphQL error in a banner, not a blank page, for a region that does not exist', async () => {
    const { page } = await openPage();
    await page.goto(`${baseUrl}/map?chain=ic&region=atlantis`);
    await waitForMap(page, 'ic', 'error');
    const banner = page.locator('#banner');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.innerText()).toContain('atlantis');
    expect(await page.locator('#map-message').innerText()).toBe('图谱加载失败');
    // Choosing a real region recovers.
    await page.locator('#region-picker').selectOption('shijiazhuang');
    await waitForMap(page, 'ic');
    await banner.waitFor({ state: 'hidden' });
    await page.close();
  });

  it('writes a screenshot of each of the five chains to test-results/', async () => {
    await mkdir('test-results', { recursive: true });
    for (const chainId of CHAINS) {
      const { page } = await openMap(`chain=${chainId}&region=shijiazhuang`, chainId);
      const file = path.join('test-results', `map-${chainId}.png`);
      await page.screenshot({ path: file });
      expect((await readFile(file)).length).toBeGreaterThan(50_000);
      await page.close();
    }
  });
});

describe('the /map route without a built bundle', () => {
  it('answers 503 saying how to build it', async () => {
    const app = express();
    app.use('/map', createMapRouter(path.join(os.tmpdir(), 'chain-kg-no-such-map-bundle')));
    const server = app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const response = await fetch(`http://127.0.0.1:${port}/map`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build:map');
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
