import type { ChainReport } from './collect.js';

/**
 * The printable chain report (GET /reports/chain): the chain map as an inline SVG, the gap table and the top target
 * firms, laid out for A4. Every piece of data goes through `escapeHtml`, so a firm or segment name can never become
 * markup; the page loads no script and only its own stylesheet (/reports/report.css).
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string | number | null | undefined): string {
  return String(value ?? '').replace(/[&<>"']/g, (character) => ESCAPES[character] ?? character);
}

/** The same colours as the chain map (web/map/src/view.ts), so the printed picture reads like the screen. */
const STATUS_COLOURS: Readonly<Record<string, { fill: string; border: string }>> = {
  MISSING: { fill: '#f26d64', border: '#a72c24' },
  UNKNOWN: { fill: '#c3b4e0', border: '#5e4a8c' },
  DEPENDENT: { fill: '#f7a65a', border: '#ad5a12' },
  WEAK: { fill: '#f4d55f', border: '#98790a' },
  COVERED: { fill: '#79c993', border: '#2a7443' },
};
const NO_STATUS = { fill: '#cfd5dc', border: '#6b7580' };

const STATUS_NAMES: Readonly<Record<string, string>> = {
  MISSING: '断链 Missing',
  UNKNOWN: '未知 Unknown',
  DEPENDENT: '依赖 Dependent',
  WEAK: '薄弱 Weak',
  COVERED: '覆盖 Covered',
};

const STAGES = ['UPSTREAM', 'MIDSTREAM', 'DOWNSTREAM'] as const;
const STAGE_NAMES: Readonly<Record<string, string>> = {
  UPSTREAM: '上游 Upstream',
  MIDSTREAM: '中游 Midstream',
  DOWNSTREAM: '下游 Downstream',
};

const BOX_WIDTH = 200;
const BOX_HEIGHT = 34;
const ROW_GAP = 10;
const COLUMN_GAP = 70;
const TOP = 34;

function clipText(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * The chain map, drawn on the server: one column per stage, a box per segment coloured by its gap status and
 * labelled with its name and local firm count, an arrow per supply link within the chain. A schematic of the
 * interactive map (web/map), without its layout engine, so the page prints without script.
 */
export function chainMapSvg(report: ChainReport): string {
  const segments = report.data.chain?.segments ?? [];
  const gaps = new Map(report.data.chainGaps.gaps.map((gap) => [gap.segment.id, gap]));
  const columns = STAGES.map((stage) => segments.filter((segment) => segment.stage === stage));
  const position = new Map<string, { x: number; y: number }>();
  columns.forEach((column, columnIndex) => {
    column.forEach((segment, rowIndex) => {
      position.set(segment.id, {
        x: 10 + columnIndex * (BOX_WIDTH + COLUMN_GAP),
        y: TOP + rowIndex * (BOX_HEIGHT + ROW_GAP),
      });
    });
  });
  const rows = Math.max(1, ...columns.map((column) => column.length));
  const width = 20 + STAGES.length * BOX_WIDTH + (STAGES.length - 1) * COLUMN_GAP;
  const height = TOP + rows * (BOX_HEIGHT + ROW_GAP) + 10;
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" class="chain-map" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(
      `${report.data.chainGaps.chain.name} 产业链图谱 chain map`,
    )}">`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#7a8694"/></marker></defs>',
  );
  STAGES.forEach((stage, index) => {
    parts.push(
      `<text x="${10 + index * (BOX_WIDTH + COLUMN_GAP) + BOX_WIDTH / 2}" y="20" text-anchor="middle" font-size="13" font-weight="bold" fill="#15191e">${escapeHtml(
        STAGE_NAMES[stage],
      )}</text>`,
    );
  });
  for (const segment of segments) {
    const from = position.get(segment.id);
    if (!from) continue;
    for (const feed of segment.feeds) {
      const to = position.get(feed.segment.id);
      if (!to || feed.segment.chain.id !== report.data.chainGaps.chain.id) continue;
      const sameColumn = from.x === to.x;
      const x1 = from.x + BOX_WIDTH;
      const x2 = sameColumn ? to.x + BOX_WIDTH : to.x;
      const y1 = from.y + BOX_HEIGHT / 2;
      const y2 = to.y + BOX_HEIGHT / 2;
      const path = sameColumn
        ? `M${x1},${y1} C${x1 + 30},${y1} ${x2 + 30},${y2} ${x2},${y2}`
        : `M${x1},${y1} C${(x1 + x2) / 2},${y1} ${(x1 + x2) / 2},${y2} ${x2},${y2}`;
      parts.push(
        `<path d="${path}" fill="none" stroke="#7a8694" stroke-width="0.9" stroke-opacity="0.55" marker-end="url(#arrow)"/>`,
      );
    }
  }
  for (const segment of segments) {
    const at = position.get(segment.id);
    if (!at) continue;
    const gap = gaps.get(segment.id);
    const colours = (gap && STATUS_COLOURS[gap.status]) ?? NO_STATUS;
    const indent = segment.parent ? 12 : 0;
    parts.push(
      `<g><title>${escapeHtml(`${segment.name} — ${gap ? STATUS_NAMES[gap.status] : ''}`)}</title>`,
      `<rect x="${at.x + indent}" y="${at.y}" width="${BOX_WIDTH - indent}" height="${BOX_HEIGHT}" rx="5" fill="${colours.fill}" stroke="${colours.border}" stroke-width="1.5"/>`,
      `<text x="${at.x + indent + 8}" y="${at.y + 15}" font-size="12" fill="#15191e">${escapeHtml(
        clipText(segment.name, 14),
      )}</text>`,
      `<text x="${at.x + indent + 8}" y="${at.y + 28}" font-size="10" fill="#3d4753">${escapeHtml(
        `${gap ? STATUS_NAMES[gap.status] : ''} · ${gap?.localEnterpriseCount ?? 0} 家 firms`,
      )}</text>`,
      '</g>',
    );
  }
  parts.push('</svg>');
  return parts.join('');
}

function formatNumber(value: number | null | undefined, digits: number): string {
  return value === null || value === undefined ? '—' : value.toFixed(digits);
}

function query(report: ChainReport, extra: Record<string, string> = {}): string {
  const { request } = report;
  const params = new URLSearchParams({ chainId: request.chainId, regionId: request.regionId });
  if (request.sources) params.set('sources', request.sources.join(','));
  for (const [name, value] of Object.entries(extra)) params.set(name, value);
  return params.toString();
}

/** How many target firms the printed page lists (the workbook holds them all). */
export const PRINTED_TARGETS = 10;

export function chainReportPage(report: ChainReport): string {
  const { chainGaps, targetFirms } = report.data;
  const title = `${chainGaps.chain.name} · ${chainGaps.region.name} 产业链报告`;
  const titleEn = `${chainGaps.chain.nameEn ?? chainGaps.chain.id} in ${chainGaps.region.nameEn ?? chainGaps.region.id}: chain report`;
  const basis = chainGaps.basis;
  const gapRows = chainGaps.gaps
    .map((gap) => {
      const colours = STATUS_COLOURS[gap.status] ?? NO_STATUS;
      return `<tr>
<td>${escapeHtml(gap.segment.name)}<div class="en">${escapeHtml(gap.segment.nameEn)}</div></td>
<td>${escapeHtml(STAGE_NAMES[gap.segment.stage] ?? gap.segment.stage)}</td>
<td><svg class="swatch" viewBox="0 0 10 10" aria-hidden="true"><rect x="0.5" y="0.5" width="9" height="9" fill="${colours.fill}" stroke="${colours.border}"/></svg>${escapeHtml(
        STATUS_NAMES[gap.status] ?? gap.status,
      )}</td>
<td class="num">${formatNumber(gap.priority, 1)}</td>
<td class="num">${formatNumber(gap.score, 1)}</td>
<td class="num">${gap.localEnterpriseCount}</td>
<td class="num">${gap.leadingCount}</td>
<td class="num">${gap.platformCount}</td>
<td>${gap.reasons.map((reason) => `<div>${escapeHtml(reason.textZh)}</div>`).join('')}</td>
</tr>`;
    })
    .join('\n');
  const targets = (targetFirms?.recommendations ?? []).slice(0, PRINTED_TARGETS);
  const targetRows = targets
    .map(
      (target, index) => `<tr>
<td class="num">${index + 1}</td>
<td>${escapeHtml(target.enterprise.name)}${
        target.enterprise.provenance.source === 'ILLUSTRATIVE' ? ' <span class="tag">示例</span>' : ''
      }</td>
<td>${escapeHtml(target.enterprise.region.name)}</td>
<td class="num">${formatNumber(target.score, 1)}</td>
<td>${target.fills.map((gap) => escapeHtml(gap.segment.name)).join('、')}</td>
<td>${target.eligibleIncentives
        .map(
          (incentive) =>
            `<div>${escapeHtml(`${incentive.measure.number}. ${incentive.measure.title}`)}</div>`,
        )
        .join('')}</td>
</tr>`,
    )
    .join('\n');
  // The page's styles are all in /reports/report.css (colours are SVG attributes), so its CSP allows no inline style.
  return `<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/reports/report.css">
</head>
<body>
<nav class="actions">
<a href="/reports/chain.xlsx?${escapeHtml(query(report))}">下载工作簿 Workbook (.xlsx)</a>
<a href="/reports/chain.csv?${escapeHtml(query(report, { sheet: 'gaps' }))}">缺口 CSV</a>
<a href="/reports/chain.csv?${escapeHtml(query(report, { sheet: 'targets' }))}">目标企业 CSV</a>
<a href="/map/">产业链图谱 Chain map</a>
</nav>
<header>
<h1>${escapeHtml(title)}</h1>
<p class="en">${escapeHtml(titleEn)}</p>
<dl class="basis">
<div><dt>数据来源 Sources</dt><dd>${escapeHtml(basis.sources.join(', '))}</dd></div>
<div><dt>数据完整性 Completeness</dt><dd>${escapeHtml(basis.completeness)}</dd></div>
<div><dt>截至 As of</dt><dd>${escapeHtml(basis.asOf)}</dd></div>
<div><dt>示例占比 Illustrative share</dt><dd>${escapeHtml(formatNumber(basis.illustrativeShare, 3))}</dd></div>
<div><dt>环节 Segments</dt><dd>${chainGaps.total.segments} (覆盖 ${chainGaps.total.covered} · 薄弱 ${chainGaps.total.weak} · 依赖 ${chainGaps.total.dependent} · 断链 ${chainGaps.total.missing} · 未知 ${chainGaps.total.unknown})</dd></div>
</dl>
${
  basis.completeness === 'CENSUS'
    ? ''
    : '<p class="note">本地区企业数据并非全量：无记录的环节为“未知”，不等于断链。 The region’s firm data is not a census: a segment with no recorded firm is UNKNOWN, not proof of absence.</p>'
}
</header>
<section class="map">
<h2>产业链图谱 Chain map</h2>
${chainMapSvg(report)}
</section>
<section class="gaps">
<h2>缺口报告 Gap report</h2>
<table>
<thead><tr><th>环节 Segment</th><th>阶段 Stage</th><th>状态 Status</th><th>优先度 Priority</th><th>缺口分 Score</th><th>本地企业 Firms</th><th>龙头 Leading</th><th>平台 Platforms</th><th>原因 Reasons</th></tr></thead>
<tbody>
${gapRows}
</tbody>
</table>
</section>
<section class="targets">
<h2>目标企业 Top target firms</h2>
${
  targets.length === 0
    ? '<p>没有推荐的目标企业。 No target firm is recommended.</p>'
    : `<table>
<thead><tr><th>#</th><th>企业 Enterprise</th><th>地区 Region</th><th>总分 Score</th><th>填补环节 Fills</th><th>可享政策 Incentives</th></tr></thead>
<tbody>
${targetRows}
</tbody>
</table>`
}
</section>
<footer>chain-kg · ${escapeHtml(report.generatedAt)} · ChainReport (queries/chain-report.graphql)</footer>
</body>
</html>
`;
}

/** The printable page's stylesheet: A4, repeated table headers, no row split across pages, links hidden in print. */
export const REPORT_CSS = `
@page { size: A4; margin: 14mm 12mm; }
:root { color: #15191e; font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", system-ui, sans-serif; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm 0; font-size: 10.5pt; line-height: 1.4; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 6mm 0 2mm; break-after: avoid; page-break-after: avoid; }
.en { color: #56606b; font-size: 0.9em; }
.actions { display: flex; gap: 1em; margin-bottom: 4mm; font-size: 0.95em; }
.basis { display: grid; grid-template-columns: repeat(2, 1fr); gap: 1mm 6mm; margin: 3mm 0; }
.basis div { display: flex; gap: 0.5em; }
.basis dt { font-weight: bold; }
.basis dd { margin: 0; }
.note { background: #f4f1fa; border-left: 3px solid #5e4a8c; padding: 2mm 3mm; font-size: 0.9em; }
.chain-map { width: 100%; height: auto; border: 1px solid #d8dee5; break-inside: avoid; page-break-inside: avoid; }
table { width: 100%; border-collapse: collapse; font-size: 9pt; }
thead { display: table-header-group; }
th { background: #e8edf3; text-align: left; }
th, td { border: 1px solid #c9d1da; padding: 1mm 1.5mm; vertical-align: top; }
tr { break-inside: avoid; page-break-inside: avoid; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.swatch { display: inline-block; width: 0.8em; height: 0.8em; margin-right: 0.3em; vertical-align: -0.05em; }
.tag { font-size: 0.8em; border: 1px solid #98790a; padding: 0 0.2em; }
section.targets { break-before: page; page-break-before: always; }
footer { margin-top: 6mm; color: #56606b; font-size: 8.5pt; }
@media print {
  .actions { display: none; }
  body { padding: 0; max-width: none; }
  a { color: inherit; text-decoration: none; }
}
`;
