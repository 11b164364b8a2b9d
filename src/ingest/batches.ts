import { contactProperties } from '../data/contact.js';
import {
  NodeLabel as L,
  RelationshipType as T,
  type NodeLabel,
  type RelationshipType,
} from '../data/model.js';
import { storedProperties, type NodeBatch, type Properties, type RelationshipBatch } from '../data/upsert.js';
import { nameKey } from './integrity.js';
import type { Provenance, Records } from './records.js';

/**
 * The one mapping from records to node and relationship batches for data/upsert.ts. Pure: no I/O. Every node and
 * relationship carries its record's provenance as `source`, `section` and `note`.
 *
 * `replace` (seeds, the generator, test graphs: whole records) makes each node and relationship exactly what the
 * record says. `merge` (imports: tables that may lack columns) sets what a record gives and keeps the rest; new
 * nodes and relationships start from the defaults below. In both modes a node's single location, host or governed
 * region replaces the one it had.
 */
export type WriteMode = 'replace' | 'merge';

export interface Batches {
  readonly nodes: NodeBatch[];
  readonly relationships: RelationshipBatch[];
}

const NO_FLAGS = { highTech: false, leading: false, listed: false, specialised: false };

/** The flags a record gives (a left-out flag is absent from the object zod returns, or undefined). */
function definedFlags(flags: Readonly<Record<string, boolean | undefined>>): Record<string, boolean> {
  return Object.fromEntries(
    Object.entries(flags).filter((entry): entry is [string, boolean] => entry[1] !== undefined),
  );
}

/** What a new node or relationship starts with in a merge, so that a missing column never resets what is stored. */
const MERGE_DEFAULTS: Partial<Record<NodeLabel | RelationshipType, Properties>> = {
  [L.Enterprise]: NO_FLAGS,
  [L.PolicyMeasure]: { description: '', termsJson: '[]', offerable: true, eligibilityJson: '[]' },
  [T.OPERATES_IN]: { mainProducts: [], basis: 'STATED' },
  [T.SUPPLIES]: { products: [] },
};

/** Relationships a node has at most one of (checked per target label): a merge moves them. */
const SINGLE: readonly RelationshipType[] = [T.LOCATED_IN, T.HOSTED_BY, T.FOR_REGION];

/**
 * The properties with the record's provenance (`source`, `section`, `note`), leaving out what is null or undefined
 * (storedProperties, as every upsert would): rather than two spreads, since an enterprise has some thirty optional
 * properties, mostly absent, and spreading them was a tenth of a 50,000-firm import's Node time.
 */
function withProvenance(properties: Properties, origin: Provenance): Properties {
  const row: Properties = storedProperties(properties);
  if (origin.source !== undefined) row['source'] = origin.source;
  if (origin.section !== undefined) row['section'] = origin.section;
  if (origin.note !== undefined) row['note'] = origin.note;
  return row;
}

class Builder {
  private readonly nodes = new Map<NodeLabel, Properties[]>();
  private readonly relationships = new Map<
    string,
    { type: RelationshipType; from: NodeLabel; to: NodeLabel; rows: RelationshipBatch['rows'][number][] }
  >();

  constructor(private readonly mode: WriteMode) {}

  node(label: NodeLabel, properties: Properties, origin: Provenance): void {
    const rows = this.nodes.get(label) ?? [];
    rows.push(withProvenance(properties, origin));
    this.nodes.set(label, rows);
  }

  link(
    from: NodeLabel,
    type: RelationshipType,
    to: NodeLabel,
    ids: readonly [string, string],
    origin: Provenance,
    extra: Properties = {},
  ): void {
    const key = `${from}|${type}|${to}`;
    const batch = this.relationships.get(key) ?? { type, from, to, rows: [] };
    batch.rows.push({ from: ids[0], to: ids[1], properties: withProvenance(extra, origin) });
    this.relationships.set(key, batch);
  }

  /** One link from `id` to each of `targets`. */
  links(
    from: NodeLabel,
    type: RelationshipType,
    to: NodeLabel,
    id: string,
    targets: readonly string[],
    origin: Provenance,
  ): void {
    for (const target of targets) this.link(from, type, to, [id, target], origin);
  }

  result(): Batches {
    const merge = this.mode === 'merge';
    const defaults = (key: NodeLabel | RelationshipType) =>
      merge && MERGE_DEFAULTS[key] ? { defaults: MERGE_DEFAULTS[key] } : {};
    return {
      nodes: [...this.nodes].map(([label, rows]) => ({
        label,
        rows,
        ...(merge ? { mode: 'merge' as const } : {}),
        ...defaults(label),
      })),
      relationships: [...this.relationships.values()].map((batch) => ({
        ...batch,
        // A node's single location, host or governed region replaces the one it had in either mode: a seed
        // reloaded after a firm moved must not leave it in two places.
        ...(merge ? { mode: 'merge' as const } : {}),
        ...(SINGLE.includes(batch.type) ? { exclusive: true } : {}),
        ...defaults(batch.type),
      })),
    };
  }
}

/** The batches that write these records. Kinds left out write nothing. */
export function toBatches(records: Partial<Records>, mode: WriteMode = 'replace'): Batches {
  const b = new Builder(mode);

  for (const region of records.regions ?? []) {
    const { id, provenance: origin } = region;
    b.node(
      L.Region,
      {
        id,
        name: region.name,
        nameEn: region.nameEn,
        level: region.level,
        code: region.code,
        lat: region.coordinates?.lat,
        lon: region.coordinates?.lon,
        completeness: region.completeness,
      },
      origin,
    );
    if (region.parentId) b.link(L.Region, T.PART_OF, L.Region, [id, region.parentId], origin);
  }

  for (const industry of records.industries ?? []) {
    const { id, name, nameEn, tier } = industry;
    b.node(
      L.Industry,
      { id, name, nameEn, tier, specialAction: industry.specialAction ?? false },
      industry.provenance,
    );
  }

  for (const chain of records.chains ?? []) {
    const { id, name, nameEn, description, synonyms, provenance: origin } = chain;
    b.node(L.IndustrialChain, { id, name, nameEn, description, synonyms }, origin);
    b.links(L.IndustrialChain, T.BELONGS_TO, L.Industry, id, chain.industryIds, origin);
  }

  for (const segment of records.segments ?? []) {
    const { id, chainId, name, nameEn, stage, kind, description, synonyms, provenance: origin } = segment;
    b.node(L.ChainSegment, { id, chainId, name, nameEn, stage, kind, description, synonyms }, origin);
    b.link(L.ChainSegment, T.IN_CHAIN, L.IndustrialChain, [id, chainId], origin);
    if (segment.parentId)
      b.link(L.ChainSegment, T.SUBSEGMENT_OF, L.ChainSegment, [id, segment.parentId], origin);
    for (const feed of segment.feeds) {
      const [target, own] = typeof feed === 'string' ? [feed, undefined] : [feed.segmentId, feed.provenance];
      b.link(L.ChainSegment, T.FEEDS, L.ChainSegment, [id, target], own ?? origin);
    }
  }

  for (const enterprise of records.enterprises ?? []) {
    const { id, name, nameEn, sizeBand, flags, creditCode, description, provenance: origin } = enterprise;
    b.node(
      L.Enterprise,
      {
        id,
        name,
        nameEn,
        sizeBand,
        // A flag a whole record leaves out is not known, and a firm starts with it false (a merge keeps what is
        // stored): the API's flags and the flag filters then read one value, never an absent one.
        ...(mode === 'replace' ? { ...NO_FLAGS, ...definedFlags(flags) } : flags),
        creditCode,
        stockCode: enterprise.stockCode,
        shortName: enterprise.shortName,
        formerNames: enterprise.formerNames,
        // The normalised full name, indexed: an import finds a same-named enterprise of the graph in one lookup.
        nameKey: nameKey(name),
        aliases: enterprise.aliases,
        ownership: enterprise.ownership,
        controller: enterprise.controller,
        market: enterprise.market,
        listedOn: enterprise.listedOn,
        fortuneGlobal500: enterprise.fortuneGlobal500,
        revenueCnyMillion: enterprise.revenueCnyMillion,
        outputCnyMillion: enterprise.outputCnyMillion,
        figuresYear: enterprise.figuresYear,
        industryScheme: enterprise.industryClass?.scheme,
        industryCode: enterprise.industryClass?.code,
        industryName: enterprise.industryClass?.name,
        description,
        ...contactProperties(enterprise.contact),
      },
      origin,
    );
    b.link(L.Enterprise, T.LOCATED_IN, L.Region, [id, enterprise.regionId], origin);
    if (enterprise.parent)
      b.link(
        L.Enterprise,
        T.SUBSIDIARY_OF,
        L.Enterprise,
        [id, enterprise.parent.enterpriseId],
        enterprise.parent.provenance,
      );
  }

  for (const {
    enterpriseId,
    segmentId,
    role,
    mainProducts,
    basis,
    provenance: origin,
  } of records.segmentLinks ?? []) {
    b.link(L.Enterprise, T.OPERATES_IN, L.ChainSegment, [enterpriseId, segmentId], origin, {
      role,
      mainProducts,
      // A merge that does not say keeps the stored basis (MERGE_DEFAULTS gives a new link STATED).
      basis: basis ?? (mode === 'replace' ? 'STATED' : undefined),
    });
  }

  for (const { supplierId, customerId, products, evidence, provenance: origin } of records.supplies ?? []) {
    b.link(L.Enterprise, T.SUPPLIES, L.Enterprise, [supplierId, customerId], origin, {
      products,
      evidenceKind: evidence?.kind,
      evidenceTitle: evidence?.title,
      evidenceYear: evidence?.year,
      evidenceUrl: evidence?.url,
    });
  }

  for (const platform of records.platforms ?? []) {
    const { id, name, nameEn, kind, level, hostOrganisation, provenance: origin } = platform;
    b.node(L.Platform, { id, name, nameEn, kind, level, hostOrganisation }, origin);
    b.link(L.Platform, T.LOCATED_IN, L.Region, [id, platform.regionId], origin);
    if (platform.hostEnterpriseId)
      b.link(L.Platform, T.HOSTED_BY, L.Enterprise, [id, platform.hostEnterpriseId], origin);
    b.links(L.Platform, T.SUPPORTS, L.ChainSegment, id, platform.segmentIds, origin);
    b.links(L.Platform, T.SUPPORTS, L.Industry, id, platform.industryIds, origin);
  }

  for (const base of records.bases ?? []) {
    const { id, name, nameEn, kind, status, provenance: origin } = base;
    b.node(L.DemonstrationBase, { id, name, nameEn, kind, status }, origin);
    if (base.regionId) b.link(L.DemonstrationBase, T.LOCATED_IN, L.Region, [id, base.regionId], origin);
    b.links(L.DemonstrationBase, T.FOCUSES_ON, L.Industry, id, base.focusIndustryIds, origin);
  }

  for (const programme of records.programmes ?? []) {
    const { id, number, name, nameEn, description, provenance: origin } = programme;
    // Quantities are structured but never filtered on in Cypher, so they are stored as JSON text.
    const quantitiesJson = JSON.stringify(programme.quantities);
    b.node(L.Programme, { id, number, name, nameEn, description, quantitiesJson }, origin);
    b.links(L.Programme, T.COVERS, L.IndustrialChain, id, programme.chainIds, origin);
    b.links(L.Programme, T.COVERS, L.Industry, id, programme.industryIds, origin);
  }

  for (const field of records.programmeFields ?? []) {
    const { id, name, nameEn, kind, provenance: origin } = field;
    b.node(L.ProgrammeField, { id, name, nameEn, kind }, origin);
    b.link(L.Programme, T.HAS_FIELD, L.ProgrammeField, [field.programmeId, id], origin);
  }

  for (const project of records.projects ?? []) {
    const { id, name, nameEn, provenance: origin } = project;
    b.node(L.Project, { id, name, nameEn }, origin);
    b.link(L.Project, T.UNDER_PROGRAMME, L.Programme, [id, project.programmeId], origin);
    for (const enterpriseId of project.enterpriseIds)
      b.link(L.Enterprise, T.UNDERTAKES, L.Project, [enterpriseId, id], origin);
    b.links(L.Project, T.IN_SEGMENT, L.ChainSegment, id, project.segmentIds, origin);
  }

  for (const policy of records.policies ?? []) {
    const { id, issuer, period, provenance: origin } = policy;
    b.node(L.Policy, { id, name: policy.title, nameEn: policy.titleEn, issuer, period }, origin);
    if (policy.regionId) b.link(L.Policy, T.FOR_REGION, L.Region, [id, policy.regionId], origin);
  }

  for (const measure of records.measures ?? []) {
    const { id, number, terms, appliesTo, provenance: origin } = measure;
    b.node(
      L.PolicyMeasure,
      {
        id,
        number,
        name: measure.title,
        nameEn: measure.titleEn,
        description: terms?.map((term) => term.text).join('；'),
        termsJson: terms && JSON.stringify(terms),
        // Conditions are structured but read only by the eligibility rule (src/analytics/incentives.ts): JSON text.
        offerable: measure.offerable ?? (mode === 'replace' ? true : undefined),
        eligibilityJson:
          measure.eligibility !== undefined
            ? JSON.stringify(measure.eligibility)
            : mode === 'replace'
              ? '[]'
              : undefined,
      },
      origin,
    );
    b.link(L.Policy, T.HAS_MEASURE, L.PolicyMeasure, [measure.policyId, id], origin);
    const targets: [NodeLabel, readonly string[]][] = [
      [L.Industry, appliesTo.industryIds],
      [L.IndustrialChain, appliesTo.chainIds],
      [L.ChainSegment, appliesTo.segmentIds],
      [L.Programme, appliesTo.programmeIds],
    ];
    for (const [label, targetIds] of targets)
      for (const target of targetIds) b.link(L.PolicyMeasure, T.APPLIES_TO, label, [id, target], origin);
  }

  for (const target of records.targets ?? []) {
    const {
      id,
      name,
      nameEn,
      value,
      valueMax,
      unit,
      comparator,
      period,
      metric,
      provenance: origin,
    } = target;
    b.node(L.Target, { id, name, nameEn, value, valueMax, unit, comparator, period, metric }, origin);
    if (target.programmeId) b.link(L.Target, T.OF_PROGRAMME, L.Programme, [id, target.programmeId], origin);
    if (target.policyId) b.link(L.Target, T.SET_BY, L.Policy, [id, target.policyId], origin);
  }

  return b.result();
}
