import type {
  GapStatus,
  PlatformKind,
  PlatformLevel,
  RegionLevel,
  Stage,
  TargetFactor,
} from '../../../src/graphql/generated/operations.js';

export type Lang = 'zh' | 'en';

/** Where a node sits on the map: the chain's three stages, framed by the other chains that feed it or that it feeds. */
export type Column = 'INBOUND' | Stage | 'OUTBOUND';

interface Strings {
  readonly title: string;
  readonly region: string;
  readonly chain: string;
  readonly segment: string;
  readonly segmentPlaceholder: string;
  readonly segmentOption: (name: string, status: string) => string;
  readonly showIllustrative: string;
  readonly showIllustrativeHint: string;
  /** The notice shown above the map while illustrative (demo) data is in it. */
  readonly demoNotice: string;
  readonly otherLanguage: string;
  readonly otherLanguageLabel: string;
  readonly exportPng: string;
  readonly exportSvg: string;
  readonly reportXlsx: string;
  readonly reportCsv: string;
  readonly reportPrint: string;
  readonly fit: string;
  readonly loading: string;
  readonly retry: string;
  readonly dismiss: string;
  readonly close: string;
  readonly closePanel: string;
  readonly mapLabel: (chain: string, region: string) => string;
  readonly caption: (chain: string, region: string, illustrativeShown: boolean) => string;
  readonly legend: string;
  readonly legendFeeds: string;
  readonly legendCross: string;
  readonly legendPart: string;
  readonly legendBadge: string;
  readonly legendOther: string;
  readonly noData: string;
  readonly loadFailed: string;
  readonly optionsFailed: string;
  readonly segmentFailed: string;
  readonly networkFailed: (status: string) => string;
  readonly status: Readonly<Record<GapStatus, string>>;
  readonly statusHelp: Readonly<Record<GapStatus, string>>;
  readonly columns: Readonly<Record<Column, string>>;
  readonly regionGroups: Readonly<Record<'MUNICIPALITY' | 'CITY' | 'PROVINCE' | 'LOCAL', string>>;
  readonly regionLevels: Readonly<Record<RegionLevel, string>>;
  readonly gapScore: string;
  readonly reasons: string;
  readonly noReasons: string;
  readonly localEnterprises: string;
  readonly noLocalEnterprises: string;
  readonly platforms: string;
  readonly noPlatforms: string;
  readonly targets: string;
  readonly noTargets: string;
  readonly noTargetsCovered: string;
  readonly factors: string;
  readonly incentives: string;
  readonly noIncentives: string;
  readonly score: string;
  readonly distance: (km: number) => string;
  readonly leading: string;
  readonly highTech: string;
  readonly specialised: string;
  readonly illustrative: string;
  readonly otherChain: (chain: string) => string;
  readonly openChain: (chain: string) => string;
  readonly notInRegionAnalysis: string;
  readonly factorNames: Readonly<Record<TargetFactor, string>>;
  readonly platformKinds: Readonly<Record<PlatformKind, string>>;
  readonly platformLevels: Readonly<Record<PlatformLevel, string>>;
  readonly counts: (enterprises: number, leading: number, platforms: number) => string;
  readonly summary: (
    segments: number,
    missing: number,
    dependent: number,
    weak: number,
    covered: number,
  ) => string;
  readonly downloaded: (file: string) => string;
  readonly exportFailed: string;
}

const zh: Strings = {
  title: '产业链图谱',
  region: '地区',
  chain: '产业链',
  segment: '环节',
  segmentPlaceholder: '选择环节查看详情…',
  segmentOption: (name, status) => `${name}（${status}）`,
  showIllustrative: '显示示例数据',
  showIllustrativeHint:
    '加入虚构的示例（演示）企业与关系（ILLUSTRATIVE）；默认只用规划与公开来源（PLAN、PUBLIC）的真实数据',
  demoNotice:
    '当前图中含示例（演示）数据：标注“示例”的企业与关系为虚构，仅用于演示分析方法，不代表真实情况。取消“显示示例数据”即回到真实数据。',
  otherLanguage: 'English',
  otherLanguageLabel: 'Switch to English',
  exportPng: '导出 PNG',
  exportSvg: '导出 SVG',
  reportXlsx: '报告 Excel',
  reportCsv: '缺口 CSV',
  reportPrint: '打印报告',
  fit: '适应窗口',
  loading: '加载中…',
  retry: '重试',
  dismiss: '关闭提示',
  close: '关闭',
  closePanel: '关闭详情面板',
  mapLabel: (chain, region) => `${chain}产业链在${region}的缺口图谱`,
  caption: (chain, region, shown) => `${chain} · ${region}${shown ? '（含示例数据，非真实）' : ''}`,
  legend: '图例',
  legendFeeds: '供给关系',
  legendCross: '跨产业链供给',
  legendPart: '细分环节',
  legendBadge: '本地企业数',
  legendOther: '其他产业链的环节',
  noData: '暂无图谱：请选择地区与产业链。',
  loadFailed: '图谱加载失败',
  optionsFailed: '无法加载地区和产业链列表',
  segmentFailed: '环节详情加载失败',
  networkFailed: (status) => `服务无响应（${status}）`,
  status: { MISSING: '缺失', UNKNOWN: '未知', DEPENDENT: '依赖', WEAK: '薄弱', COVERED: '覆盖' },
  statusHelp: {
    MISSING: '本地没有企业（断链；企业数据为全量）',
    UNKNOWN: '暂无已收录的本地企业（企业数据不完整，不能认定断链，需核实）',
    DEPENDENT: '仅一家本地企业，或主要依赖外地供给',
    WEAK: '有本地企业，但低于阈值',
    COVERED: '覆盖良好',
  },
  columns: {
    INBOUND: '来自其他产业链',
    UPSTREAM: '上游',
    MIDSTREAM: '中游',
    DOWNSTREAM: '下游',
    OUTBOUND: '流向其他产业链',
  },
  regionGroups: { MUNICIPALITY: '直辖市', CITY: '地级市', PROVINCE: '省', LOCAL: '区县与开发区' },
  regionLevels: {
    COUNTRY: '国家',
    PROVINCE: '省',
    MUNICIPALITY: '直辖市',
    CITY: '地级市',
    DISTRICT: '区',
    COUNTY: '县',
    NEW_AREA: '开发区',
  },
  gapScore: '缺口分',
  reasons: '原因',
  noReasons: '无',
  localEnterprises: '本地企业',
  noLocalEnterprises: '本地没有企业在这一环节。',
  platforms: '本地支撑平台',
  noPlatforms: '本地没有支撑这一环节的平台。',
  targets: '招商目标企业',
  noTargets: '没有可推荐的外地企业。',
  noTargetsCovered: '这一环节已覆盖，无需招商补链。',
  factors: '评分因素',
  incentives: '可提供的政策措施',
  noIncentives: '没有适用的政策措施。',
  score: '得分',
  distance: (km) => `${Math.round(km)} 公里`,
  leading: '龙头',
  highTech: '高新',
  specialised: '专精特新',
  illustrative: '示例',
  otherChain: (chain) => `属于其他产业链：${chain}`,
  openChain: (chain) => `在「${chain}」产业链中查看`,
  notInRegionAnalysis: '这一环节属于其他产业链，本图的缺口分析不涉及它。',
  factorNames: {
    FIT: '匹配度',
    CAPABILITY: '实力',
    LINKAGE: '关联度',
    PROXIMITY: '邻近度',
    BREADTH: '覆盖面',
  },
  platformKinds: {
    ENGINEERING_RESEARCH_CENTER: '工程研究中心',
    ENTERPRISE_TECH_CENTER: '企业技术中心',
    KEY_LABORATORY: '重点实验室',
    DRUG_SAFETY_EVALUATION: '药物安全性评价平台',
    INDUSTRIAL_DESIGN_CENTER: '工业设计中心',
    TECH_INNOVATION_CENTER: '技术创新中心',
    ACADEMICIAN_WORKSTATION: '院士工作站',
    COLLABORATIVE_INNOVATION: '协同创新平台',
    ACHIEVEMENT_TRANSFER: '科技成果转化平台',
    TALENT_TEAM: '人才与创新团队',
  },
  platformLevels: { NATIONAL: '国家级', PROVINCIAL: '省级', MUNICIPAL: '市级' },
  counts: (enterprises, leading, platforms) =>
    `本地企业 ${enterprises} 家（龙头 ${leading}），支撑平台 ${platforms} 个`,
  summary: (segments, missing, dependent, weak, covered) =>
    `${segments} 个环节：缺失 ${missing}，依赖 ${dependent}，薄弱 ${weak}，覆盖 ${covered}`,
  downloaded: (file) => `已导出 ${file}`,
  exportFailed: '导出失败',
};

const en: Strings = {
  title: 'Chain map',
  region: 'Region',
  chain: 'Chain',
  segment: 'Segment',
  segmentPlaceholder: 'Choose a segment for details…',
  segmentOption: (name, status) => `${name} (${status})`,
  showIllustrative: 'Show illustrative data',
  showIllustrativeHint:
    'Add the invented demo firms and links (ILLUSTRATIVE); by default only real facts from the plan and public sources (PLAN, PUBLIC) are used',
  demoNotice:
    'This map includes illustrative (demo) data: the firms and links tagged “Illustrative” are invented to show how the analysis works and are not real. Untick “Show illustrative data” to return to real data.',
  otherLanguage: '中文',
  otherLanguageLabel: '切换到中文',
  exportPng: 'Export PNG',
  exportSvg: 'Export SVG',
  reportXlsx: 'Report (Excel)',
  reportCsv: 'Gaps (CSV)',
  reportPrint: 'Printable report',
  fit: 'Fit to window',
  loading: 'Loading…',
  retry: 'Retry',
  dismiss: 'Dismiss',
  close: 'Close',
  closePanel: 'Close the details panel',
  mapLabel: (chain, region) => `Gap map of the ${chain} chain in ${region}`,
  caption: (chain, region, shown) =>
    `${chain} · ${region}${shown ? ' (includes illustrative data, not real)' : ''}`,
  legend: 'Legend',
  legendFeeds: 'Supplies',
  legendCross: 'Supplies across chains',
  legendPart: 'Narrower segment',
  legendBadge: 'Local firms',
  legendOther: 'Segment of another chain',
  noData: 'No map yet: choose a region and a chain.',
  loadFailed: 'The map could not be loaded',
  optionsFailed: 'The regions and chains could not be loaded',
  segmentFailed: 'The segment details could not be loaded',
  networkFailed: (status) => `The service did not answer (${status})`,
  status: {
    MISSING: 'Missing',
    UNKNOWN: 'Unknown',
    DEPENDENT: 'Dependent',
    WEAK: 'Weak',
    COVERED: 'Covered',
  },
  statusHelp: {
    MISSING: 'No local firm (a broken link; the firm data is a census)',
    UNKNOWN: 'No recorded local firm (the firm data is incomplete: not proof of a broken link, verify)',
    DEPENDENT: 'One local firm, or supplied mostly from outside',
    WEAK: 'Local firms, but below a threshold',
    COVERED: 'Well covered',
  },
  columns: {
    INBOUND: 'From other chains',
    UPSTREAM: 'Upstream',
    MIDSTREAM: 'Midstream',
    DOWNSTREAM: 'Downstream',
    OUTBOUND: 'To other chains',
  },
  regionGroups: {
    MUNICIPALITY: 'Municipalities',
    CITY: 'Cities',
    PROVINCE: 'Provinces',
    LOCAL: 'Districts, counties and zones',
  },
  regionLevels: {
    COUNTRY: 'Country',
    PROVINCE: 'Province',
    MUNICIPALITY: 'Municipality',
    CITY: 'City',
    DISTRICT: 'District',
    COUNTY: 'County',
    NEW_AREA: 'Development zone',
  },
  gapScore: 'Gap score',
  reasons: 'Why',
  noReasons: 'None',
  localEnterprises: 'Local firms',
  noLocalEnterprises: 'No local firm operates in this segment.',
  platforms: 'Local supporting platforms',
  noPlatforms: 'No local platform supports this segment.',
  targets: 'Target firms',
  noTargets: 'No outside firm to recommend.',
  noTargetsCovered: 'This segment is covered: there is no gap to fill.',
  factors: 'Score factors',
  incentives: 'Incentives that apply',
  noIncentives: 'No policy measure applies.',
  score: 'Score',
  distance: (km) => `${Math.round(km)} km`,
  leading: 'Leading',
  highTech: 'High-tech',
  specialised: 'Specialised',
  illustrative: 'Illustrative',
  otherChain: (chain) => `Part of another chain: ${chain}`,
  openChain: (chain) => `Show it in the ${chain} chain`,
  notInRegionAnalysis: 'This segment belongs to another chain; this map’s gap analysis does not cover it.',
  factorNames: {
    FIT: 'Fit',
    CAPABILITY: 'Capability',
    LINKAGE: 'Linkage',
    PROXIMITY: 'Proximity',
    BREADTH: 'Breadth',
  },
  platformKinds: {
    ENGINEERING_RESEARCH_CENTER: 'Engineering research centre',
    ENTERPRISE_TECH_CENTER: 'Enterprise technology centre',
    KEY_LABORATORY: 'Key laboratory',
    DRUG_SAFETY_EVALUATION: 'Drug-safety evaluation platform',
    INDUSTRIAL_DESIGN_CENTER: 'Industrial design centre',
    TECH_INNOVATION_CENTER: 'Technology innovation centre',
    ACADEMICIAN_WORKSTATION: 'Academician workstation',
    COLLABORATIVE_INNOVATION: 'Collaborative innovation platform',
    ACHIEVEMENT_TRANSFER: 'Achievement-transfer platform',
    TALENT_TEAM: 'Talent or innovation team',
  },
  platformLevels: { NATIONAL: 'National', PROVINCIAL: 'Provincial', MUNICIPAL: 'Municipal' },
  counts: (enterprises, leading, platforms) =>
    `${enterprises} local ${enterprises === 1 ? 'firm' : 'firms'} (${leading} leading), ` +
    `${platforms} ${platforms === 1 ? 'platform' : 'platforms'}`,
  summary: (segments, missing, dependent, weak, covered) =>
    `${segments} segments: ${missing} missing, ${dependent} dependent, ${weak} weak, ${covered} covered`,
  downloaded: (file) => `Exported ${file}`,
  exportFailed: 'The export failed',
};

export const STRINGS: Readonly<Record<Lang, Strings>> = { zh, en };

/** A name in the chosen language; English falls back to the Chinese name where the graph has none. */
export function nameIn(
  lang: Lang,
  named: { readonly name: string; readonly nameEn?: string | null },
): string {
  return lang === 'en' && named.nameEn ? named.nameEn : named.name;
}
