import type { ChainReport } from './collect.js';

/**
 * The report's sheets as plain tables, built once from the GraphQL answer: the workbook, the CSV files and the
 * printable page all read these, so they cannot disagree. A cell is a string, a number (kept a number in the
 * workbook) or null (empty).
 */
export type Cell = string | number | boolean | null;

export type ColumnFormat = 'text' | 'integer' | 'decimal' | 'ratio' | 'wrap';

export interface Column {
  readonly key: string;
  /** Chinese and English, so the sheet reads in both. */
  readonly header: string;
  readonly format: ColumnFormat;
  /** Width in characters (the workbook's column width). */
  readonly width: number;
}

export interface Table {
  /** The sheet's name in the workbook (at most 31 characters) and in the CSV's `sheet` parameter. */
  readonly name: SheetName;
  readonly title: string;
  readonly columns: readonly Column[];
  readonly rows: readonly Readonly<Record<string, Cell>>[];
}

export const SHEET_NAMES = ['gaps', 'targets', 'comparison', 'about'] as const;
export type SheetName = (typeof SHEET_NAMES)[number];

/** The workbook's sheet titles, in order. */
export const SHEET_TITLES: Readonly<Record<SheetName, string>> = {
  gaps: '缺口 Gaps',
  targets: '目标企业 Targets',
  comparison: '地区对比 Comparison',
  about: '说明 About',
};

const FACTORS = ['FIT', 'CAPABILITY', 'LINKAGE', 'PROXIMITY', 'BREADTH'] as const;
const FACTOR_NAMES: Readonly<Record<(typeof FACTORS)[number], string>> = {
  FIT: '契合 Fit',
  CAPABILITY: '实力 Capability',
  LINKAGE: '关联 Linkage',
  PROXIMITY: '邻近 Proximity',
  BREADTH: '广度 Breadth',
};

export const CONTACT_KEYS = ['website', 'phone', 'email', 'address', 'person'] as const;

function column(key: string, header: string, format: ColumnFormat, width: number): Column {
  return { key, header, format, width };
}

function joined(items: readonly string[]): string {
  return items.join('\n');
}

function basisColumns(): Column[] {
  return [
    column('sources', '数据来源 Sources', 'text', 22),
    column('completeness', '数据完整性 Completeness', 'text', 16),
    column('illustrativeShare', '示例占比 Illustrative share', 'ratio', 14),
    column('asOf', '截至 As of', 'text', 24),
  ];
}

function gapsTable(report: ChainReport): Table {
  const { chainGaps } = report.data;
  const basis = {
    sources: chainGaps.basis.sources.join(', '),
    completeness: chainGaps.basis.completeness,
    illustrativeShare: chainGaps.basis.illustrativeShare,
    asOf: chainGaps.basis.asOf,
  };
  return {
    name: 'gaps',
    title: SHEET_TITLES.gaps,
    columns: [
      column('segmentId', '环节编号 Segment id', 'text', 22),
      column('segment', '环节 Segment', 'text', 18),
      column('segmentEn', 'Segment (English)', 'text', 28),
      column('stage', '阶段 Stage', 'text', 12),
      column('status', '状态 Status', 'text', 12),
      column('priority', '优先度 Priority', 'decimal', 10),
      column('score', '缺口分 Score', 'decimal', 10),
      column('criticality', '关键度 Criticality', 'ratio', 11),
      column('relatedness', '相关度 Relatedness', 'ratio', 11),
      column('locationQuotient', '区位熵 Location quotient', 'decimal', 11),
      column('locationQuotientBasis', '区位熵口径 LQ basis', 'text', 14),
      column('localEnterprises', '本地企业 Local firms', 'integer', 10),
      column('leading', '龙头 Leading', 'integer', 9),
      column('highTech', '高新 High-tech', 'integer', 9),
      column('platforms', '平台 Platforms', 'integer', 9),
      column('localSupplyEdges', '本地供应 Local supply links', 'integer', 11),
      column('outsideSupplyEdges', '外部供应 Outside supply links', 'integer', 11),
      column('downstreamSegments', '下游环节 Downstream segments', 'integer', 11),
      column('reasonsZh', '原因 Reasons (中文)', 'wrap', 48),
      column('reasonsEn', 'Reasons (English)', 'wrap', 56),
      ...basisColumns(),
    ],
    rows: chainGaps.gaps.map((gap) => ({
      segmentId: gap.segment.id,
      segment: gap.segment.name,
      segmentEn: gap.segment.nameEn,
      stage: gap.segment.stage,
      status: gap.status,
      priority: gap.priority,
      score: gap.score,
      criticality: gap.criticality,
      relatedness: gap.relatedness,
      locationQuotient: gap.locationQuotient,
      locationQuotientBasis: gap.locationQuotientBasis,
      localEnterprises: gap.localEnterpriseCount,
      leading: gap.leadingCount,
      highTech: gap.highTechCount,
      platforms: gap.platformCount,
      localSupplyEdges: gap.localSupplyEdges,
      outsideSupplyEdges: gap.outsideSupplyEdges,
      downstreamSegments: gap.downstreamSegmentCount,
      reasonsZh: joined(gap.reasons.map((reason) => reason.textZh)),
      reasonsEn: joined(gap.reasons.map((reason) => reason.text)),
      ...basis,
    })),
  };
}

function targetsTable(report: ChainReport): Table {
  const recommendations = report.data.targetFirms?.recommendations ?? [];
  return {
    name: 'targets',
    title: SHEET_TITLES.targets,
    columns: [
      column('rank', '排名 Rank', 'integer', 7),
      column('enterpriseId', '企业编号 Enterprise id', 'text', 22),
      column('name', '企业 Enterprise', 'text', 28),
      column('nameEn', 'Enterprise (English)', 'text', 28),
      column('shortName', '简称 Short name', 'text', 12),
      column('stockCode', '股票代码 Stock code', 'text', 11),
      column('creditCode', '信用代码 Credit code', 'text', 20),
      column('ownership', '所有制 Ownership', 'text', 12),
      column('sizeBand', '规模 Size', 'text', 10),
      column('listedOn', '上市日期 Listed on', 'text', 12),
      column('leading', '龙头 Leading', 'text', 8),
      column('highTech', '高新 High-tech', 'text', 8),
      column('region', '所在地区 Region', 'text', 12),
      column('regionId', '地区编号 Region id', 'text', 14),
      column('provenance', '来源 Provenance', 'text', 12),
      column('distanceKm', '距离 Distance (km)', 'decimal', 10),
      column('score', '总分 Score', 'decimal', 9),
      ...FACTORS.flatMap((factor) => [
        column(`${factor.toLowerCase()}Value`, `${FACTOR_NAMES[factor]} 值 value`, 'ratio', 10),
        column(`${factor.toLowerCase()}Weight`, `${FACTOR_NAMES[factor]} 权重 weight`, 'ratio', 10),
        column(`${factor.toLowerCase()}Explanation`, `${FACTOR_NAMES[factor]} 说明 why`, 'wrap', 36),
      ]),
      column('fills', '填补环节 Fills', 'wrap', 28),
      column('evidence', '证据 Evidence', 'wrap', 48),
      column('incentives', '可享政策 Eligible incentives', 'wrap', 40),
      column('website', '网站 Website', 'text', 24),
      column('phone', '电话 Phone', 'text', 16),
      column('email', '邮箱 Email', 'text', 22),
      column('address', '地址 Address', 'text', 28),
      column('person', '联系人 Contact person', 'text', 14),
    ],
    rows: recommendations.map((recommendation, index) => {
      const { enterprise } = recommendation;
      const factors: Record<string, Cell> = {};
      for (const factor of recommendation.factors) {
        const key = factor.name.toLowerCase();
        factors[`${key}Value`] = factor.value;
        factors[`${key}Weight`] = factor.weight;
        factors[`${key}Explanation`] = factor.explanation;
      }
      const contact: Record<string, Cell> = {};
      for (const key of CONTACT_KEYS) contact[key] = enterprise.contact?.[key] ?? null;
      return {
        rank: index + 1,
        enterpriseId: enterprise.id,
        name: enterprise.name,
        nameEn: enterprise.nameEn,
        shortName: enterprise.shortName,
        stockCode: enterprise.stockCode,
        creditCode: enterprise.creditCode,
        ownership: enterprise.ownership,
        sizeBand: enterprise.sizeBand,
        listedOn: enterprise.listedOn,
        leading: enterprise.flags.leading ? '是 yes' : '否 no',
        highTech: enterprise.flags.highTech ? '是 yes' : '否 no',
        region: enterprise.region.name,
        regionId: enterprise.region.id,
        provenance: enterprise.provenance.source,
        distanceKm: recommendation.distanceKm,
        score: recommendation.score,
        ...factors,
        fills: joined(recommendation.fills.map((gap) => `${gap.segment.name} (${gap.status})`)),
        evidence: joined(
          recommendation.evidence.map((evidence) => `${evidence.factor}: ${evidence.description}`),
        ),
        incentives: joined(
          recommendation.eligibleIncentives.map(
            (incentive) =>
              `${incentive.measure.number}. ${incentive.measure.title} — ${incentive.eligibility}` +
              (incentive.terms.length > 0 ? ` (terms ${incentive.terms.join(', ')})` : ''),
          ),
        ),
        ...contact,
      };
    }),
  };
}

function comparisonTable(report: ChainReport): Table {
  const comparison = report.data.compareRegions;
  const regions = comparison?.regions.map((coverage) => coverage.region) ?? [];
  return {
    name: 'comparison',
    title: SHEET_TITLES.comparison,
    columns: [
      column('segmentId', '环节编号 Segment id', 'text', 22),
      column('segment', '环节 Segment', 'text', 18),
      column('stage', '阶段 Stage', 'text', 12),
      ...regions.flatMap((region) => [
        column(`${region.id}:status`, `${region.name} 状态 status`, 'text', 14),
        column(`${region.id}:localEnterprises`, `${region.name} 本地企业 local firms`, 'integer', 12),
      ]),
    ],
    rows: (comparison?.segments ?? []).map((segment) => {
      const row: Record<string, Cell> = {
        segmentId: segment.segment.id,
        segment: segment.segment.name,
        stage: segment.segment.stage,
      };
      for (const byRegion of segment.byRegion) {
        row[`${byRegion.region.id}:status`] = byRegion.status;
        row[`${byRegion.region.id}:localEnterprises`] = byRegion.localEnterpriseCount;
      }
      return row;
    }),
  };
}

function aboutTable(report: ChainReport): Table {
  const { chainGaps, targetFirms, compareRegions } = report.data;
  const rows: Record<string, Cell>[] = [];
  const add = (item: string, value: Cell, note: string | null = null) => rows.push({ item, value, note });
  add('产业链 Chain', `${chainGaps.chain.name} (${chainGaps.chain.id})`, chainGaps.chain.nameEn);
  add('地区 Region', `${chainGaps.region.name} (${chainGaps.region.id})`, chainGaps.region.nameEn);
  add('生成时间 Generated at', report.generatedAt);
  add(
    '数据来源 Sources',
    chainGaps.basis.sources.join(', '),
    'ILLUSTRATIVE = 示例数据 (invented demo firms)',
  );
  add(
    '数据完整性 Completeness',
    chainGaps.basis.completeness,
    'CENSUS: every firm; LISTED_ONLY: listed companies only; PARTIAL: a curated list (a segment with no recorded firm is UNKNOWN, not MISSING)',
  );
  add('截至 As of', chainGaps.basis.asOf);
  add('数据最新 Current', chainGaps.basis.current ? '是 yes' : '否 no', 'false: writes not yet counted');
  add('待计入变更 Pending changes', chainGaps.basis.pendingChanges);
  add(
    '示例占比 Illustrative share',
    chainGaps.basis.illustrativeShare,
    'share of the counts from ILLUSTRATIVE data',
  );
  const { thresholds, total } = chainGaps;
  add('阈值 Min enterprises', thresholds.minEnterprises);
  add('阈值 Min leading', thresholds.minLeading);
  add('阈值 Min platforms', thresholds.minPlatforms);
  add('阈值 Max outside supply share', thresholds.maxOutsideSupplyShare);
  add('阈值 Strong location quotient', thresholds.strongLocationQuotient);
  add('环节数 Segments', total.segments);
  add('覆盖 Covered', total.covered);
  add('薄弱 Weak', total.weak);
  add('依赖 Dependent', total.dependent);
  add('断链 Missing', total.missing);
  add('未知 Unknown', total.unknown);
  add('有企业占比 Presence ratio', total.presenceRatio);
  add('覆盖占比 Covered ratio', total.coveredRatio);
  for (const stage of chainGaps.stages) {
    add(
      `${stage.stage} 覆盖占比 covered ratio`,
      stage.summary.coveredRatio,
      `${stage.summary.segments} segments`,
    );
  }
  if (targetFirms) {
    const { weights } = targetFirms;
    for (const factor of ['fit', 'capability', 'linkage', 'proximity', 'breadth'] as const) {
      add(`权重 Weight ${factor}`, weights[factor]);
    }
    add('目标企业数 Target firms', targetFirms.recommendations.length);
  }
  add(
    '联系方式 Contact details',
    report.contactsReadable ? '已包含 included' : '未包含 not included',
    report.contactsReadable
      ? null
      : 'contact details need an API key or token with the viewer role (Authorization: Bearer <credential>)',
  );
  if (compareRegions) {
    add('可比 Comparable', compareRegions.comparable ? '是 yes' : '否 no', compareRegions.comparabilityNote);
    for (const coverage of compareRegions.regions) {
      add(
        `${coverage.region.name} 覆盖占比 covered ratio`,
        coverage.total.coveredRatio,
        `${coverage.basis.completeness}; illustrative share ${coverage.basis.illustrativeShare}`,
      );
    }
  }
  add('查询 Operation', 'ChainReport', 'queries/chain-report.graphql, run through /graphql’s pipeline');
  return {
    name: 'about',
    title: SHEET_TITLES.about,
    columns: [
      column('item', '项目 Item', 'text', 34),
      column('value', '值 Value', 'text', 34),
      column('note', '说明 Note', 'wrap', 70),
    ],
    rows,
  };
}

export function reportTables(report: ChainReport): Record<SheetName, Table> {
  return {
    gaps: gapsTable(report),
    targets: targetsTable(report),
    comparison: comparisonTable(report),
    about: aboutTable(report),
  };
}
