import type { Records } from '../../ingest/records.js';

/**
 * The review of the public data pack, from the records alone (no database): enterprises by provenance, the listed
 * firms linked to each chain, the real firms of a city per chain, and the mapping table with what each row brings.
 */

export interface PackReportOptions {
  /** The city whose real firms are listed per chain (with its sub-regions). */
  readonly cityId: string;
}

/** The ids of a region and every region below it. */
function regionAndBelow(records: Records, rootId: string): Set<string> {
  const below = new Set([rootId]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const region of records.regions) {
      if (region.parentId !== undefined && below.has(region.parentId) && !below.has(region.id)) {
        below.add(region.id);
        grew = true;
      }
    }
  }
  return below;
}

const isReal = (source: string) => source === 'PLAN' || source === 'PUBLIC';

export function packReport(records: Records, { cityId }: PackReportOptions): string {
  const lines: string[] = [];
  const chainOf = new Map(records.segments.map((segment) => [segment.id, segment.chainId]));
  const chainName = new Map(records.chains.map((chain) => [chain.id, chain.name]));
  const enterpriseOf = new Map(records.enterprises.map((enterprise) => [enterprise.id, enterprise]));
  const chainsOfFirm = new Map<string, Set<string>>();
  for (const link of records.segmentLinks) {
    const chain = chainOf.get(link.segmentId);
    if (chain === undefined) continue;
    chainsOfFirm.set(link.enterpriseId, (chainsOfFirm.get(link.enterpriseId) ?? new Set()).add(chain));
  }

  lines.push('Enterprises by provenance');
  const bySource = new Map<string, { all: number; listed: number }>();
  for (const enterprise of records.enterprises) {
    const entry = bySource.get(enterprise.provenance.source) ?? { all: 0, listed: 0 };
    entry.all += 1;
    if (enterprise.stockCode !== undefined) entry.listed += 1;
    bySource.set(enterprise.provenance.source, entry);
  }
  for (const [source, { all, listed }] of [...bySource].sort())
    lines.push(`  ${source.padEnd(13)} ${String(all).padStart(5)}  (with a stock code: ${listed})`);

  lines.push('', 'PUBLIC firms with a stock code linked to each chain (stated or by industry class)');
  const linkedPerChain = new Map<string, number>();
  let linkedAny = 0;
  for (const [firmId, chains] of chainsOfFirm) {
    const firm = enterpriseOf.get(firmId);
    if (firm?.provenance.source !== 'PUBLIC' || firm.stockCode === undefined) continue;
    linkedAny += 1;
    for (const chain of chains) linkedPerChain.set(chain, (linkedPerChain.get(chain) ?? 0) + 1);
  }
  for (const chain of records.chains)
    lines.push(
      `  ${chain.id.padEnd(16)} ${String(linkedPerChain.get(chain.id) ?? 0).padStart(5)}  ${chain.name}`,
    );
  lines.push(`  ${'any chain'.padEnd(16)} ${String(linkedAny).padStart(5)}`);

  const city = records.regions.find((region) => region.id === cityId);
  const inCity = regionAndBelow(records, cityId);
  const realLocal = records.enterprises.filter(
    (enterprise) => isReal(enterprise.provenance.source) && inCity.has(enterprise.regionId),
  );
  lines.push(
    '',
    `Real (PLAN/PUBLIC) firms in ${city?.name ?? cityId} and its sub-regions: ${realLocal.length}`,
  );
  for (const chain of records.chains) {
    const names = realLocal
      .filter((firm) => chainsOfFirm.get(firm.id)?.has(chain.id))
      .map((firm) => firm.shortName ?? firm.name)
      .sort((a, b) => a.localeCompare(b, 'zh'));
    lines.push(`  ${chain.name} (${names.length}): ${names.join('、') || '—'}`);
  }
  const unlinked = realLocal
    .filter((firm) => !chainsOfFirm.has(firm.id))
    .map((firm) => firm.shortName ?? firm.name);
  lines.push(
    `  in no chain (${unlinked.length}): ${unlinked.sort((a, b) => a.localeCompare(b, 'zh')).join('、') || '—'}`,
  );

  lines.push('', 'Mapping table: each mapped industry, its segments, and the companies it links');
  const firmsPerIndustry = new Map<string, Set<string>>();
  for (const link of records.segmentLinks) {
    if (link.basis !== 'INDUSTRY_CLASSIFICATION') continue;
    const industry = enterpriseOf.get(link.enterpriseId)?.industryClass;
    if (industry === undefined) continue;
    const key = `${industry.scheme} ${industry.code ?? ''} ${industry.name}`;
    firmsPerIndustry.set(key, (firmsPerIndustry.get(key) ?? new Set()).add(link.enterpriseId));
  }
  const segmentsPerIndustry = new Map<string, Set<string>>();
  for (const link of records.segmentLinks) {
    if (link.basis !== 'INDUSTRY_CLASSIFICATION') continue;
    const industry = enterpriseOf.get(link.enterpriseId)?.industryClass;
    if (industry === undefined) continue;
    const key = `${industry.scheme} ${industry.code ?? ''} ${industry.name}`;
    segmentsPerIndustry.set(
      key,
      (segmentsPerIndustry.get(key) ?? new Set()).add(`${link.segmentId} (${link.role})`),
    );
  }
  for (const [key, firms] of [...firmsPerIndustry].sort(([a], [b]) => a.localeCompare(b))) {
    const segments = [...(segmentsPerIndustry.get(key) ?? [])].join(', ');
    const chains = new Set(
      [...(segmentsPerIndustry.get(key) ?? [])].map((s) => chainName.get(chainOf.get(s.split(' ')[0]!)!)),
    );
    lines.push(
      `  ${key.padEnd(30)} ${String(firms.size).padStart(4)}  → ${segments}  [${[...chains].join('、')}]`,
    );
  }
  const derived = records.segmentLinks.filter((link) => link.basis === 'INDUSTRY_CLASSIFICATION');
  lines.push(
    `  total: ${derived.length} links, ${new Set(derived.map((link) => link.enterpriseId)).size} companies`,
  );
  return lines.join('\n');
}
