import type { Contact } from '../data/contact.js';
import { cypher } from '../data/cypher.js';
import type { Executor } from '../data/executor.js';
import { NodeLabel as L, RelationshipType as T } from '../data/model.js';
import { upsertAll } from '../data/upsert.js';
import { toBatches } from '../ingest/batches.js';
import { creditCodeCheckCharacter } from '../ingest/creditCode.js';
import type { Provenance, Records } from '../ingest/records.js';
import { SEGMENT_ROLE, SIZE_BAND } from '../ingest/vocabulary.js';

/**
 * A deterministic generator of a province-sized graph on top of the plan's chains: many regions, hundreds of
 * thousands of enterprises, over a million relationships, with skewed (power-law) degrees — as a real economy has a
 * few hubs and a long tail. Everything it makes is ILLUSTRATIVE and says so (names contain 示例, English names end
 * with "(illustrative)"). The same seed and size always give the same graph, and re-running changes nothing.
 */

/** mulberry32: small, fast, good enough for sampling; deterministic across platforms. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An index in [0, n) drawn from a Zipf-like law (exponent s): index 0 is the most popular. */
export function zipfSampler(n: number, s: number, next: () => number): () => number {
  const cumulative = new Float64Array(n);
  let total = 0;
  for (let index = 0; index < n; index += 1) {
    total += 1 / (index + 1) ** s;
    cumulative[index] = total;
  }
  return () => {
    const target = next() * total;
    let low = 0;
    let high = n - 1;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (cumulative[middle]! < target) low = middle + 1;
      else high = middle;
    }
    return low;
  };
}

/** A heavy-tailed count with about the given mean: a Pareto draw (shape 2, so its mean is twice its scale), floored. */
function paretoCount(mean: number, next: () => number): number {
  const scale = mean / 2;
  return Math.floor(scale / Math.sqrt(1 - next()) + 0.5);
}

export interface GenerateOptions {
  readonly seed: number;
  readonly enterprises: number;
  /** Synthetic districts per existing city-level region. */
  readonly districtsPerCity?: number;
  /** Average supply edges per enterprise. */
  readonly suppliesPerEnterprise?: number;
  readonly batchSize?: number;
  readonly onProgress?: (progress: { phase: string; done: number; total: number }) => void;
}

export interface GenerateSummary {
  readonly regions: number;
  readonly enterprises: number;
  readonly relationships: number;
  readonly created: number;
  readonly unchanged: number;
  readonly seconds: number;
}

/** Shares of SIZE_BAND.values (LARGE … MICRO) and of SEGMENT_ROLE.values (CORE, SUPPLIER, SERVICE). */
const SIZE_WEIGHTS = [0.03, 0.17, 0.45, 0.35];
const ROLE_WEIGHTS = [0.6, 0.3, 0.1];

function weighted<T>(values: readonly T[], weights: readonly number[], next: () => number): T {
  let target = next();
  for (let index = 0; index < values.length; index += 1) {
    target -= weights[index]!;
    if (target <= 0) return values[index]!;
  }
  return values[values.length - 1]!;
}

function generatedCreditCode(seed: number, index: number): string {
  // 91 (enterprise) + 130100 (a Hebei area code) + 9 characters from the seed and index.
  const body = `91130100${String(seed % 100).padStart(2, '0')}${String(index).padStart(7, '0')}`;
  return body + creditCodeCheckCharacter(body)!;
}

/**
 * Illustrative contact details, from the seed and index alone (no random draws, so the rest of the graph is the same
 * as without them): a host under the reserved example.com domain, and a phone number in the 555 range that no real
 * Shijiazhuang line has.
 */
export function generatedContact(seed: number, index: number): Contact {
  const host = `gen-${seed}-e-${index}.example.com`;
  return {
    website: `https://${host}`,
    phone: `0311-555${String(index % 100_000).padStart(5, '0')}`,
    email: `info@${host}`,
    address: `示例路${index}号（示例地址）`,
    person: `示例联系人${index}`,
  };
}

interface Structure {
  readonly segments: { id: string; feeds: string[] }[];
  readonly cities: { id: string; lat: number | null; lon: number | null }[];
}

async function readStructure(executor: Executor): Promise<Structure> {
  const [row] = await executor.read(
    'generator-structure',
    cypher(
      `CALL { MATCH (s:${L.ChainSegment}) WHERE NOT EXISTS { (:${L.ChainSegment})-[:${T.SUBSEGMENT_OF}]->(s) }
              RETURN collect({ id: s.id, feeds: [(s)-[:${T.FEEDS}]->(t) | t.id] }) AS segments }
       CALL { MATCH (r:${L.Region}) WHERE r.level IN ['CITY', 'MUNICIPALITY'] AND NOT r.id STARTS WITH 'gen-'
              RETURN collect({ id: r.id, lat: r.lat, lon: r.lon }) AS cities }
       RETURN segments, cities`,
    ),
  );
  // Sorted, feeds included: Cypher gives no order for these lists, and the sampling must see the same order every run.
  const segments = ((row?.['segments'] as Structure['segments'] | undefined) ?? [])
    .map((segment) => ({ id: segment.id, feeds: [...segment.feeds].sort() }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  const cities = ((row?.['cities'] as Structure['cities'] | undefined) ?? []).sort((a, b) =>
    a.id < b.id ? -1 : 1,
  );
  if (segments.length === 0 || cities.length === 0) {
    throw new Error(
      'The generator builds on the loaded chains and regions: load the seed data first (npm run seed)',
    );
  }
  return { segments, cities };
}

export async function generateGraph(executor: Executor, options: GenerateOptions): Promise<GenerateSummary> {
  const started = Date.now();
  const { seed } = options;
  const next = random(seed);
  const structure = await readStructure(executor);
  const prefix = `gen-${seed}`;
  const provenance: Provenance = {
    source: 'ILLUSTRATIVE',
    note: `generated by npm run generate (seed ${seed})`,
  };

  // Regions: synthetic districts under every city, with coordinates jittered around the city's.
  const districtsPerCity = options.districtsPerCity ?? 10;
  const regions = structure.cities.flatMap((city, cityIndex) =>
    Array.from({ length: districtsPerCity }, (_, index) => ({
      id: `${prefix}-r-${cityIndex}-${index}`,
      parent: city.id,
      lat: city.lat === null ? null : city.lat + (next() - 0.5) * 0.4,
      lon: city.lon === null ? null : city.lon + (next() - 0.5) * 0.4,
    })),
  );
  const pickRegion = zipfSampler(regions.length, 0.9, next);
  const pickSegment = zipfSampler(structure.segments.length, 1.0, next);

  // Enterprises with their segments; then, per segment, the firms in it (most popular first), for supply targets.
  const firmsInSegment = new Map<string, number[]>();
  const firms = Array.from({ length: options.enterprises }, (_, index) => {
    // 1 + a floored exponential: about two segments per firm, a few firms in many.
    const segmentCount = 1 + Math.min(6, Math.floor(-Math.log(1 - next()) * 1.4));
    const segments = new Set<string>();
    for (let pick = 0; pick < segmentCount; pick += 1) segments.add(structure.segments[pickSegment()]!.id);
    for (const segment of segments) {
      const list = firmsInSegment.get(segment);
      if (list) list.push(index);
      else firmsInSegment.set(segment, [index]);
    }
    return {
      index,
      region: regions[pickRegion()]!.id,
      sizeBand: weighted(SIZE_BAND.values, SIZE_WEIGHTS, next),
      highTech: next() < 0.12,
      leading: next() < 0.01,
      listed: next() < 0.02,
      specialised: next() < 0.05,
      segments: [...segments].map((segment) => ({
        segment,
        role: weighted(SEGMENT_ROLE.values, ROLE_WEIGHTS, next),
      })),
    };
  });
  const feedsOf = new Map(structure.segments.map((segment) => [segment.id, segment.feeds]));
  const samplers = new Map<string, () => number>();
  const supplies: { from: number; to: number }[] = [];
  const supplyMean = options.suppliesPerEnterprise ?? 3.2;
  for (const firm of firms) {
    const targets = firm.segments
      .flatMap((operation) => feedsOf.get(operation.segment) ?? [])
      .filter((segment) => firmsInSegment.has(segment));
    if (targets.length === 0) continue;
    const degree = Math.min(200, paretoCount(supplyMean, next));
    const seen = new Set<number>();
    for (let edge = 0; edge < degree; edge += 1) {
      const segment = targets[Math.floor(next() * targets.length)]!;
      const candidates = firmsInSegment.get(segment)!;
      // Preferential attachment: customers at the head of a segment's list are picked far more often.
      let sample = samplers.get(segment);
      if (!sample) {
        sample = zipfSampler(candidates.length, 1.1, next);
        samplers.set(segment, sample);
      }
      const customer = candidates[sample()]!;
      if (customer !== firm.index && !seen.has(customer)) {
        seen.add(customer);
        supplies.push({ from: firm.index, to: customer });
      }
    }
  }

  const firmId = (index: number) => `${prefix}-e-${index}`;
  const batchSize = options.batchSize ?? 10_000;
  let created = 0;
  let unchanged = 0;
  let relationships = 0;
  const write = async (phase: string, records: Partial<Records>) => {
    const { nodes, relationships: links } = toBatches(records);
    const reports = await upsertAll(executor, `generate-${phase}`, nodes, links);
    for (const report of reports) {
      created += report.counts.created;
      unchanged += report.counts.unchanged;
    }
  };

  await write('regions', {
    regions: regions.map((region, index) => ({
      id: region.id,
      name: `示例区${index}`,
      nameEn: `Generated district ${index} (illustrative)`,
      level: 'DISTRICT',
      parentId: region.parent,
      coordinates:
        region.lat === null || region.lon === null ? undefined : { lat: region.lat, lon: region.lon },
      provenance,
    })),
  });
  relationships += regions.length;

  for (let start = 0; start < firms.length; start += batchSize) {
    const chunk = firms.slice(start, start + batchSize);
    await write('enterprises', {
      enterprises: chunk.map((firm) => ({
        id: firmId(firm.index),
        name: `示例企业${firm.index}号`,
        nameEn: `Generated enterprise ${firm.index} (illustrative)`,
        creditCode: generatedCreditCode(seed, firm.index),
        regionId: firm.region,
        sizeBand: firm.sizeBand,
        flags: {
          highTech: firm.highTech,
          leading: firm.leading,
          listed: firm.listed,
          specialised: firm.specialised,
        },
        contact: generatedContact(seed, firm.index),
        provenance,
      })),
      segmentLinks: chunk.flatMap((firm) =>
        firm.segments.map((operation) => ({
          enterpriseId: firmId(firm.index),
          segmentId: operation.segment,
          role: operation.role,
          mainProducts: [],
          provenance,
        })),
      ),
    });
    relationships += chunk.length + chunk.reduce((sum, firm) => sum + firm.segments.length, 0);
    options.onProgress?.({
      phase: 'enterprises',
      done: Math.min(firms.length, start + batchSize),
      total: firms.length,
    });
  }

  for (let start = 0; start < supplies.length; start += batchSize * 2) {
    const chunk = supplies.slice(start, start + batchSize * 2);
    await write('supplies', {
      supplies: chunk.map((edge) => ({
        supplierId: firmId(edge.from),
        customerId: firmId(edge.to),
        products: [],
        provenance,
      })),
    });
    relationships += chunk.length;
    options.onProgress?.({
      phase: 'supplies',
      done: Math.min(supplies.length, start + batchSize * 2),
      total: supplies.length,
    });
  }

  return {
    regions: regions.length,
    enterprises: firms.length,
    relationships,
    created,
    unchanged,
    seconds: (Date.now() - started) / 1000,
  };
}
