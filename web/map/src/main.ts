import './map.css';

import type { MapOptionsQuery, ProvenanceSource } from '../../../src/graphql/generated/operations.js';
import { ApiError, fetchChain, fetchOptions, fetchSegment } from './api.js';
import { byId, h } from './dom.js';
import { nameIn, STRINGS, type Lang } from './i18n.js';
import { buildModel, STAGES, STATUSES, type MapModel } from './model.js';
import { externalPanel, segmentPanel, type DetailsState } from './panel.js';
import { ChainMapView, STATUS_COLOURS, type EdgeSummary, type NodeSummary } from './view.js';

const DEFAULT_REGION = 'shijiazhuang';
const REAL_SOURCES: ProvenanceSource[] = ['PLAN', 'PUBLIC'];
const ALL_SOURCES: ProvenanceSource[] = ['PLAN', 'PUBLIC', 'ILLUSTRATIVE'];
const TARGETS_SHOWN = 5;

type MapState = 'loading' | 'ready' | 'error';

interface State {
  /** From the URL or the picker; an id the graph does not know is kept, so the API can say what is wrong. */
  regionId: string;
  /** Empty until the chains are known: then the first one. */
  chainId: string;
  lang: Lang;
  /** Illustrative (demo) data is left out unless asked for (real data by default). */
  showIllustrative: boolean;
  selected: string | null;
}

/** What tests (and curious people in the console) can read off the page. */
export interface ChainMapHandle {
  readonly state: MapState;
  readonly chainId: string;
  readonly regionId: string;
  readonly lang: Lang;
  readonly sources: readonly ProvenanceSource[] | null;
  readonly palette: typeof STATUS_COLOURS;
  readonly cy: ChainMapView['cy'];
  summary(): { nodes: NodeSummary[]; edges: EdgeSummary[] };
  clientPoint(id: string): { x: number; y: number } | null;
}

declare global {
  interface Window {
    chainMap?: ChainMapHandle;
  }
}

const elements = {
  regionPicker: byId<HTMLSelectElement>('region-picker'),
  chainPicker: byId<HTMLSelectElement>('chain-picker'),
  segmentPicker: byId<HTMLSelectElement>('segment-picker'),
  showIllustrative: byId<HTMLInputElement>('show-illustrative'),
  demoNotice: byId('demo-notice'),
  languageToggle: byId<HTMLButtonElement>('language-toggle'),
  exportPng: byId<HTMLButtonElement>('export-png'),
  exportSvg: byId<HTMLButtonElement>('export-svg'),
  reportXlsx: byId<HTMLAnchorElement>('report-xlsx'),
  reportCsv: byId<HTMLAnchorElement>('report-csv'),
  reportPrint: byId<HTMLAnchorElement>('report-print'),
  fit: byId<HTMLButtonElement>('fit'),
  banner: byId('banner'),
  bannerText: byId('banner-text'),
  bannerRetry: byId<HTMLButtonElement>('banner-retry'),
  bannerDismiss: byId<HTMLButtonElement>('banner-dismiss'),
  map: byId('map'),
  mapMessage: byId('map-message'),
  legend: byId('legend'),
  panel: byId('panel'),
  panelTitle: byId('panel-title'),
  panelBody: byId('panel-body'),
  panelClose: byId<HTMLButtonElement>('panel-close'),
  announcer: byId('announcer'),
};

function readState(): State {
  const params = new URLSearchParams(window.location.search);
  return {
    regionId: params.get('region') ?? DEFAULT_REGION,
    chainId: params.get('chain') ?? '',
    lang: params.get('lang') === 'en' ? 'en' : 'zh',
    showIllustrative: params.get('demo') === '1',
    selected: params.get('segment'),
  };
}

const state = readState();
const regionGiven = new URLSearchParams(window.location.search).has('region');
let mapState: MapState = 'loading';
let model: MapModel | null = null;
let options: MapOptionsQuery | null = null;
let details: { key: string; state: DetailsState } | null = null;
let retry: (() => void) | null = null;
let chainRequest: AbortController | null = null;
let segmentRequest: AbortController | null = null;
let focusBeforePanel: HTMLElement | null = null;

const view = new ChainMapView(elements.map, { onSelect: (id) => openPanel(id, false) });

/** Always explicit, so every list and count on the page (segments and flows too) uses the same sources. */
function sources(): ProvenanceSource[] {
  return state.showIllustrative ? ALL_SOURCES : REAL_SOURCES;
}

function t() {
  return STRINGS[state.lang];
}

function writeUrl(): void {
  const params = new URLSearchParams();
  params.set('region', state.regionId);
  if (state.chainId) params.set('chain', state.chainId);
  if (state.lang === 'en') params.set('lang', 'en');
  if (state.showIllustrative) params.set('demo', '1');
  if (state.selected) params.set('segment', state.selected);
  window.history.replaceState(null, '', `${window.location.pathname}?${params.toString()}`);
  writeReportLinks();
}

/** The report links (workbook, gaps CSV, printable page) follow the chain, region and sources on screen. */
function writeReportLinks(): void {
  const params = new URLSearchParams({ chainId: state.chainId, regionId: state.regionId });
  params.set('sources', sources().join(','));
  elements.reportXlsx.href = `/reports/chain.xlsx?${params.toString()}`;
  elements.reportPrint.href = `/reports/chain?${params.toString()}`;
  params.set('sheet', 'gaps');
  elements.reportCsv.href = `/reports/chain.csv?${params.toString()}`;
}

function setMapState(next: MapState): void {
  mapState = next;
  document.documentElement.dataset['mapState'] = next;
  elements.map.setAttribute('aria-busy', String(next === 'loading'));
}

function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  if (error instanceof Error) return error.message;
  return String(error);
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && error.name === 'AbortError';
}

function showBanner(text: string, onRetry: (() => void) | null): void {
  elements.bannerText.textContent = text;
  retry = onRetry;
  elements.bannerRetry.hidden = onRetry === null;
  elements.banner.hidden = false;
}

function hideBanner(): void {
  elements.banner.hidden = true;
  retry = null;
}

function showMapMessage(text: string | null): void {
  elements.mapMessage.textContent = text ?? '';
  elements.mapMessage.hidden = text === null;
}

function announce(text: string): void {
  elements.announcer.textContent = text;
}

// ---- static text ------------------------------------------------------------------------------------------

function applyLanguage(): void {
  const strings = t();
  document.documentElement.lang = state.lang === 'en' ? 'en' : 'zh-CN';
  document.title = `${strings.title} · ${state.lang === 'en' ? '产业链图谱' : 'Chain map'}`;
  for (const element of document.querySelectorAll<HTMLElement>('[data-i18n]')) {
    const key = element.dataset['i18n'] as keyof typeof strings;
    const value = strings[key];
    if (typeof value === 'string') element.textContent = value;
  }
  for (const element of document.querySelectorAll<HTMLElement>('[data-i18n-label]')) {
    const key = element.dataset['i18nLabel'] as keyof typeof strings;
    const value = strings[key];
    if (typeof value === 'string') element.setAttribute('aria-label', value);
  }
  elements.languageToggle.textContent = strings.otherLanguage;
  elements.languageToggle.lang = state.lang === 'en' ? 'zh-CN' : 'en';
  elements.languageToggle.setAttribute('aria-label', strings.otherLanguageLabel);
  elements.languageToggle.setAttribute('aria-pressed', String(state.lang === 'en'));
  elements.showIllustrative.title = strings.showIllustrativeHint;
  elements.showIllustrative.checked = state.showIllustrative;
  elements.demoNotice.hidden = !state.showIllustrative;
  renderPickers();
  renderLegend();
  renderSegmentPicker();
  describeMap();
}

function renderLegend(): void {
  const strings = t();
  const total = model?.total;
  const counts: Record<string, number | undefined> = {
    MISSING: total?.missing,
    UNKNOWN: total?.unknown,
    DEPENDENT: total?.dependent,
    WEAK: total?.weak,
    COVERED: total?.covered,
  };
  const swatch = (className: string, fill?: string, border?: string) => {
    const element = h('span', { class: className, 'aria-hidden': 'true' });
    if (fill) element.style.backgroundColor = fill;
    if (border) element.style.borderColor = border;
    return element;
  };
  elements.legend.replaceChildren(
    h('h2', { class: 'visually-hidden' }, strings.legend),
    h(
      'ul',
      { class: 'legend-list' },
      ...STATUSES.map((status) =>
        h(
          'li',
          { title: strings.statusHelp[status], 'data-status': status },
          swatch('swatch', STATUS_COLOURS[status].fill, STATUS_COLOURS[status].border),
          `${strings.status[status]}${counts[status] === undefined ? '' : ` ${counts[status]}`}`,
        ),
      ),
      h('li', {}, swatch('swatch swatch-external'), strings.legendOther),
      h('li', {}, swatch('line line-feeds'), strings.legendFeeds),
      h('li', {}, swatch('line line-cross'), strings.legendCross),
      h('li', {}, swatch('line line-part'), strings.legendPart),
      h('li', {}, h('span', { class: 'badge-sample', 'aria-hidden': 'true' }, '3'), strings.legendBadge),
    ),
  );
}

function describeMap(): void {
  if (!model) {
    elements.map.setAttribute('aria-label', t().title);
    return;
  }
  const { total } = model;
  elements.map.setAttribute(
    'aria-label',
    `${t().mapLabel(nameIn(state.lang, model.chain), nameIn(state.lang, model.region))}. ${t().summary(
      total.segments,
      total.missing,
      total.dependent,
      total.weak,
      total.covered,
    )}`,
  );
}

// ---- pickers ----------------------------------------------------------------------------------------------

function renderPickers(): void {
  if (!options) return;
  const strings = t();
  const regions = options.regions;
  const group = (label: string, members: typeof regions, withParent: boolean) =>
    members.length === 0
      ? null
      : h(
          'optgroup',
          { label },
          ...members.map((region) =>
            h(
              'option',
              { value: region.id },
              withParent && region.parent
                ? `${nameIn(state.lang, region.parent)} · ${nameIn(state.lang, region)}`
                : nameIn(state.lang, region),
            ),
          ),
        );
  elements.regionPicker.replaceChildren(
    ...[
      group(
        strings.regionGroups.CITY,
        regions.filter((region) => region.level === 'CITY'),
        false,
      ),
      group(
        strings.regionGroups.MUNICIPALITY,
        regions.filter((region) => region.level === 'MUNICIPALITY'),
        false,
      ),
      group(
        strings.regionGroups.LOCAL,
        regions.filter((region) => ['DISTRICT', 'COUNTY', 'NEW_AREA'].includes(region.level)),
        true,
      ),
      group(
        strings.regionGroups.PROVINCE,
        regions.filter((region) => region.level === 'PROVINCE'),
        false,
      ),
    ].filter((element): element is HTMLOptGroupElement => element !== null),
  );
  elements.chainPicker.replaceChildren(
    ...options.chains.map((chain) => h('option', { value: chain.id }, nameIn(state.lang, chain))),
  );
  // An id from the URL that the graph does not know stays visible in its picker, next to the error about it.
  for (const [picker, id] of [
    [elements.regionPicker, state.regionId],
    [elements.chainPicker, state.chainId],
  ] as const) {
    if (id && ![...picker.options].some((option) => option.value === id))
      picker.prepend(h('option', { value: id }, id));
    picker.value = id;
  }
}

function renderSegmentPicker(): void {
  const strings = t();
  elements.exportPng.disabled = model === null;
  elements.exportSvg.disabled = model === null;
  const placeholder = h('option', { value: '' }, strings.segmentPlaceholder);
  if (!model) {
    elements.segmentPicker.replaceChildren(placeholder);
    elements.segmentPicker.disabled = true;
    return;
  }
  const current = model;
  elements.segmentPicker.replaceChildren(
    placeholder,
    ...STAGES.map((stage) =>
      h(
        'optgroup',
        { label: strings.columns[stage] },
        ...current.segments
          .filter((segment) => segment.stage === stage)
          .map((segment) =>
            h(
              'option',
              { value: segment.id },
              segment.gap
                ? strings.segmentOption(nameIn(state.lang, segment), strings.status[segment.gap.status])
                : nameIn(state.lang, segment),
            ),
          ),
      ),
    ),
  );
  elements.segmentPicker.disabled = false;
  elements.segmentPicker.value = state.selected && view.hasNode(state.selected) ? state.selected : '';
}

// ---- loading ----------------------------------------------------------------------------------------------

async function loadOptions(): Promise<void> {
  setMapState('loading');
  showMapMessage(t().loading);
  try {
    options = await fetchOptions({ sources: sources() });
  } catch (error) {
    setMapState('error');
    showMapMessage(t().optionsFailed);
    showBanner(`${t().optionsFailed}: ${messageOf(error)}`, () => void loadOptions());
    return;
  }
  if (!state.chainId) state.chainId = options.chains[0]?.id ?? '';
  // Another city's graph may have no Shijiazhuang: the default then falls back to its first city.
  if (!regionGiven && !options.regions.some((region) => region.id === state.regionId)) {
    state.regionId = options.regions.find((region) => region.level === 'CITY')?.id ?? state.regionId;
  }
  renderPickers();
  await loadChain();
}

async function loadChain(): Promise<void> {
  chainRequest?.abort();
  const request = new AbortController();
  chainRequest = request;
  writeUrl();
  setMapState('loading');
  showMapMessage(t().loading);
  hideBanner();
  if (!state.chainId) {
    model = null;
    view.clear();
    showMapMessage(t().noData);
    setMapState('ready');
    return;
  }
  try {
    const data = await fetchChain(
      { chainId: state.chainId, regionId: state.regionId, sources: sources() },
      request.signal,
    );
    model = buildModel(data);
    if (!model) throw new ApiError(`no chain '${state.chainId}'`);
  } catch (error) {
    if (isAbort(error)) return;
    model = null;
    view.clear();
    closePanel(false);
    renderSegmentPicker();
    renderLegend();
    describeMap();
    showMapMessage(t().loadFailed);
    showBanner(`${t().loadFailed}: ${messageOf(error)}`, () => void loadChain());
    setMapState('error');
    return;
  }
  showMapMessage(model.segments.length === 0 ? t().noData : null);
  view.render(model, state.lang, state.showIllustrative);
  renderLegend();
  renderSegmentPicker();
  describeMap();
  if (state.selected && view.hasNode(state.selected)) openPanel(state.selected, false);
  else closePanel(false);
  setMapState('ready');
}

// ---- the side panel ---------------------------------------------------------------------------------------

function detailsKey(segmentId: string): string {
  return JSON.stringify([segmentId, state.regionId, state.showIllustrative]);
}

function renderPanel(): void {
  const id = state.selected;
  if (!model || !id) return;
  const own = model.segments.find((segment) => segment.id === id);
  // The title stays in place while the body is redrawn, so focus on it survives the details arriving.
  if (own) {
    const current = details?.key === detailsKey(id) ? details.state : { kind: 'loading' as const };
    elements.panelTitle.textContent = nameIn(state.lang, own);
    elements.panelBody.replaceChildren(segmentPanel(state.lang, own, current));
    return;
  }
  const external = model.externals.find((segment) => segment.id === id);
  if (external) {
    elements.panelTitle.textContent = nameIn(state.lang, external);
    elements.panelBody.replaceChildren(
      externalPanel(state.lang, external, () => {
        state.chainId = external.chain.id;
        elements.chainPicker.value = external.chain.id;
        void loadChain();
      }),
    );
  }
}

async function loadDetails(segmentId: string): Promise<void> {
  const key = detailsKey(segmentId);
  if (details?.key === key && details.state.kind === 'ready') return;
  segmentRequest?.abort();
  const request = new AbortController();
  segmentRequest = request;
  details = { key, state: { kind: 'loading' } };
  try {
    const data = await fetchSegment(
      { segmentId, regionId: state.regionId, sources: sources(), firstTargets: TARGETS_SHOWN },
      request.signal,
    );
    details = { key, state: { kind: 'ready', details: data } };
  } catch (error) {
    if (isAbort(error)) return;
    details = { key, state: { kind: 'error', message: messageOf(error) } };
    showBanner(`${t().segmentFailed}: ${messageOf(error)}`, () => void loadDetails(segmentId));
  }
  if (state.selected === segmentId) renderPanel();
}

function openPanel(id: string, moveFocus: boolean): void {
  if (!model) return;
  const wasOpen = !elements.panel.hidden;
  state.selected = id;
  writeUrl();
  view.choose(id);
  if (!wasOpen)
    focusBeforePanel = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  elements.panel.hidden = false;
  elements.panel.scrollTop = 0;
  elements.segmentPicker.value = model.segments.some((segment) => segment.id === id) ? id : '';
  renderPanel();
  if (model.segments.some((segment) => segment.id === id)) void loadDetails(id);
  if (moveFocus || !wasOpen) elements.panelTitle.focus();
}

function closePanel(restoreFocus: boolean): void {
  segmentRequest?.abort();
  const wasOpen = !elements.panel.hidden;
  elements.panel.hidden = true;
  elements.panelTitle.textContent = '';
  elements.panelBody.replaceChildren();
  state.selected = null;
  view.choose(null);
  elements.segmentPicker.value = '';
  writeUrl();
  if (restoreFocus && wasOpen) {
    // A click on the map leaves nothing focused (cytoscape blurs on press), so focus then returns to the map.
    const back =
      focusBeforePanel?.isConnected && focusBeforePanel !== document.body ? focusBeforePanel : elements.map;
    back.focus();
  }
  focusBeforePanel = null;
}

// ---- export -----------------------------------------------------------------------------------------------

function download(blob: Blob, file: string): void {
  const url = URL.createObjectURL(blob);
  const link = h('a', { href: url, download: file, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  // The browser has taken the blob once the click is handled; the URL is released after that.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  announce(t().downloaded(file));
}

function exportAs(kind: 'png' | 'svg'): void {
  if (!model) return;
  const file = `chain-map-${model.chain.id}-${model.region.id}${state.showIllustrative ? '-demo' : ''}.${kind}`;
  try {
    const blob =
      kind === 'png' ? view.png() : new Blob([view.svg()], { type: 'image/svg+xml;charset=utf-8' });
    download(blob, file);
  } catch (error) {
    showBanner(`${t().exportFailed}: ${messageOf(error)}`, null);
  }
}

// ---- wiring -----------------------------------------------------------------------------------------------

elements.regionPicker.addEventListener('change', () => {
  state.regionId = elements.regionPicker.value;
  details = null;
  void loadChain();
});
elements.chainPicker.addEventListener('change', () => {
  state.chainId = elements.chainPicker.value;
  state.selected = null;
  void loadChain();
});
elements.segmentPicker.addEventListener('change', () => {
  const id = elements.segmentPicker.value;
  if (id) openPanel(id, false);
  else closePanel(false);
});
elements.showIllustrative.addEventListener('change', () => {
  state.showIllustrative = elements.showIllustrative.checked;
  elements.demoNotice.hidden = !state.showIllustrative;
  writeUrl();
  details = null;
  void loadChain();
});
elements.languageToggle.addEventListener('click', () => {
  state.lang = state.lang === 'zh' ? 'en' : 'zh';
  writeUrl();
  applyLanguage();
  if (model) view.setLanguage(state.lang);
  renderPanel();
});
elements.exportPng.addEventListener('click', () => exportAs('png'));
elements.exportSvg.addEventListener('click', () => exportAs('svg'));
elements.fit.addEventListener('click', () => view.fit());
elements.panelClose.addEventListener('click', () => closePanel(true));
elements.bannerDismiss.addEventListener('click', hideBanner);
elements.bannerRetry.addEventListener('click', () => {
  const again = retry;
  hideBanner();
  again?.();
});
document.addEventListener('keydown', (event) => {
  if (event.key === 'Escape' && !elements.panel.hidden) {
    event.preventDefault();
    closePanel(true);
  }
});

window.chainMap = {
  get state() {
    return mapState;
  },
  get chainId() {
    return state.chainId;
  },
  get regionId() {
    return state.regionId;
  },
  get lang() {
    return state.lang;
  },
  get sources() {
    return sources();
  },
  palette: STATUS_COLOURS,
  cy: view.cy,
  summary: () => view.summary(),
  clientPoint: (id) => view.clientPoint(id),
};

elements.showIllustrative.checked = state.showIllustrative;
applyLanguage();
void loadOptions();
