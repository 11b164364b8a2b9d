import type { MapSegmentQuery } from '../../../src/graphql/generated/operations.js';
import { h } from './dom.js';
import { nameIn, STRINGS, type Lang } from './i18n.js';
import type { ExternalSegment, MapSegment } from './model.js';
import { STATUS_COLOURS } from './view.js';

export type SegmentDetails = MapSegmentQuery;

/** What the panel shows below the segment's own facts. */
export type DetailsState =
  | { readonly kind: 'loading' }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'ready'; readonly details: SegmentDetails };

function percent(value: number): string {
  return `${Math.round(value * 100)}%`;
}

function illustrativeTag(lang: Lang, source: string): HTMLElement | null {
  return source === 'ILLUSTRATIVE'
    ? h('span', { class: 'tag tag-illustrative' }, STRINGS[lang].illustrative)
    : null;
}

function section(title: string, ...content: (Node | null)[]): HTMLElement {
  return h('section', { class: 'panel-section' }, h('h3', {}, title), ...content);
}

function enterpriseList(lang: Lang, details: SegmentDetails): HTMLElement {
  const t = STRINGS[lang];
  const { nodes, totalCount } = details.localEnterprises;
  if (nodes.length === 0) return h('p', { class: 'muted' }, t.noLocalEnterprises);
  const list = h(
    'ul',
    { class: 'plain-list enterprises' },
    ...nodes.map((enterprise) =>
      h(
        'li',
        {},
        h('span', { class: 'item-name' }, nameIn(lang, enterprise)),
        ' ',
        h('span', { class: 'muted' }, nameIn(lang, enterprise.region)),
        enterprise.flags.leading ? h('span', { class: 'tag tag-leading' }, t.leading) : null,
        enterprise.flags.highTech ? h('span', { class: 'tag' }, t.highTech) : null,
        enterprise.flags.specialised ? h('span', { class: 'tag' }, t.specialised) : null,
        illustrativeTag(lang, enterprise.provenance.source),
      ),
    ),
  );
  return totalCount > nodes.length
    ? h('div', {}, list, h('p', { class: 'muted' }, `… ${totalCount - nodes.length}`))
    : list;
}

function platformList(lang: Lang, details: SegmentDetails): HTMLElement {
  const t = STRINGS[lang];
  const { nodes } = details.localPlatforms;
  if (nodes.length === 0) return h('p', { class: 'muted' }, t.noPlatforms);
  return h(
    'ul',
    { class: 'plain-list platforms' },
    ...nodes.map((platform) =>
      h(
        'li',
        {},
        h('span', { class: 'item-name' }, nameIn(lang, platform)),
        ' ',
        h(
          'span',
          { class: 'muted' },
          `${t.platformLevels[platform.level]} · ${t.platformKinds[platform.kind]}`,
        ),
        illustrativeTag(lang, platform.provenance.source),
      ),
    ),
  );
}

type Recommendation = SegmentDetails['targetFirms']['recommendations'][number];

function targetItem(lang: Lang, recommendation: Recommendation, index: number): HTMLElement {
  const t = STRINGS[lang];
  const { enterprise } = recommendation;
  const where = [
    nameIn(lang, enterprise.region),
    recommendation.distanceKm === null ? null : t.distance(recommendation.distanceKm),
  ]
    .filter((part): part is string => part !== null)
    .join(' · ');
  const factors = h(
    'ul',
    { class: 'factors' },
    ...recommendation.factors.map((factor) =>
      h(
        'li',
        { title: factor.explanation },
        h('span', { class: 'factor-name' }, t.factorNames[factor.name]),
        h('meter', { min: 0, max: 1, value: factor.value, 'aria-label': t.factorNames[factor.name] }),
        h('span', { class: 'factor-value' }, `${percent(factor.value)} × ${factor.weight}`),
        h('span', { class: 'factor-explanation' }, factor.explanation),
      ),
    ),
  );
  const incentives =
    recommendation.incentives.length === 0
      ? h('p', { class: 'muted' }, t.noIncentives)
      : h(
          'ol',
          { class: 'incentives' },
          ...recommendation.incentives.map((measure) =>
            h(
              'li',
              { value: measure.number },
              h(
                'span',
                { class: 'item-name' },
                lang === 'en' && measure.titleEn ? measure.titleEn : measure.title,
              ),
              h(
                'ul',
                { class: 'terms' },
                ...measure.terms.map((term) =>
                  h('li', {}, lang === 'en' ? (term.textEn ?? term.text) : term.text),
                ),
              ),
            ),
          ),
        );
  return h(
    'li',
    { class: 'target' },
    h(
      'div',
      { class: 'target-head' },
      h('span', { class: 'target-rank' }, String(index + 1)),
      h('span', { class: 'item-name' }, nameIn(lang, enterprise)),
      illustrativeTag(lang, enterprise.provenance.source),
      h('span', { class: 'target-score', title: t.score }, recommendation.score.toFixed(1)),
    ),
    h('div', { class: 'muted' }, where),
    h('details', { class: 'target-factors', open: index === 0 }, h('summary', {}, t.factors), factors),
    h(
      'details',
      { class: 'target-incentives' },
      h('summary', {}, `${t.incentives} (${recommendation.incentives.length})`),
      incentives,
    ),
  );
}

function targetList(lang: Lang, segment: MapSegment, details: SegmentDetails): HTMLElement {
  const t = STRINGS[lang];
  const { recommendations } = details.targetFirms;
  if (recommendations.length === 0) {
    return h('p', { class: 'muted' }, segment.gap?.status === 'COVERED' ? t.noTargetsCovered : t.noTargets);
  }
  return h(
    'ol',
    { class: 'plain-list targets' },
    ...recommendations.map((recommendation, index) => targetItem(lang, recommendation, index)),
  );
}

/** The panel body (below its title, the segment's name) for one of the chain's own segments. */
export function segmentPanel(lang: Lang, segment: MapSegment, state: DetailsState): DocumentFragment {
  const t = STRINGS[lang];
  const gap = segment.gap;
  const fragment = document.createDocumentFragment();
  const otherName = lang === 'en' ? segment.name : segment.nameEn;
  fragment.append(
    otherName ? h('p', { class: 'muted subtitle', lang: lang === 'en' ? 'zh-CN' : 'en' }, otherName) : '',
    h('p', { class: 'muted' }, t.columns[segment.stage]),
  );
  if (gap) {
    const colours = STATUS_COLOURS[gap.status];
    fragment.append(
      h(
        'p',
        { class: 'status-line' },
        h(
          'span',
          {
            class: 'status-pill',
            style: `background:${colours.fill};border-color:${colours.border}`,
            'data-status': gap.status,
          },
          t.status[gap.status],
        ),
        ' ',
        h('span', {}, `${t.gapScore} ${gap.score.toFixed(1)}`),
      ),
      h('p', {}, t.counts(gap.localEnterpriseCount, gap.leadingCount, gap.platformCount)),
      section(
        t.reasons,
        gap.reasons.length === 0
          ? h('p', { class: 'muted' }, t.noReasons)
          : h(
              'ul',
              { class: 'reasons' },
              ...gap.reasons.map((reason) =>
                h('li', { 'data-code': reason.code }, lang === 'en' ? reason.text : reason.textZh),
              ),
            ),
      ),
    );
  }
  if (state.kind === 'loading') {
    fragment.append(h('p', { class: 'muted loading', role: 'status' }, t.loading));
  } else if (state.kind === 'error') {
    fragment.append(h('p', { class: 'error', role: 'alert' }, `${t.segmentFailed}: ${state.message}`));
  } else {
    fragment.append(
      section(
        `${t.localEnterprises} (${state.details.localEnterprises.totalCount})`,
        enterpriseList(lang, state.details),
      ),
      section(
        `${t.platforms} (${state.details.localPlatforms.totalCount})`,
        platformList(lang, state.details),
      ),
      section(t.targets, targetList(lang, segment, state.details)),
    );
  }
  return fragment;
}

/** The panel body (below its title) for a segment of another chain, with a way to go and look at that chain. */
export function externalPanel(lang: Lang, segment: ExternalSegment, openChain: () => void): DocumentFragment {
  const t = STRINGS[lang];
  const fragment = document.createDocumentFragment();
  const button = h('button', { type: 'button', class: 'button' }, t.openChain(nameIn(lang, segment.chain)));
  button.addEventListener('click', openChain);
  fragment.append(
    h('p', { class: 'muted' }, `${t.otherChain(nameIn(lang, segment.chain))} · ${t.columns[segment.stage]}`),
    h('p', {}, t.notInRegionAnalysis),
    h('p', {}, button),
  );
  return fragment;
}
