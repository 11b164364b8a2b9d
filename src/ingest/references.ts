import { NodeLabel as L, type NodeLabel } from '../data/model.js';
import { clip } from '../errors.js';
import {
  checkEnterpriseIdentity,
  checkLinkProvenance,
  checkSupplyEvidence,
  type EnterpriseIdentities,
  type LinkReference,
  type NodeFacts,
} from './integrity.js';
import { SELF_SUPPLY, type Provenance, type Records } from './records.js';

/**
 * The one reference checker of the write model, for seeds and imports alike: every id is given once in a load, every
 * reference resolves (to a record of the same load or, for a merge, to a node already in the graph), nothing links
 * to itself or lists the same id twice, and no region is its own ancestor. It works on records; where a record came
 * from (a seed file's record and field, a table's line and column) is the caller's, through `report`.
 */

/** A record of a load, with where it came from. */
export interface Located<T> {
  readonly record: T;
  /** Where it is, as "duplicate of …" names it: "chains.json record 0", "firms.csv line 2". */
  readonly where: string;
  /** Reports a problem with one of its fields, named as the record model names it: regionId, feeds[0], appliesTo.chainIds[1]. */
  readonly report: (field: string, reason: string) => void;
  /**
   * False when the record failed its own checks (a table row with a bad cell): its references are still checked, but
   * it is not there for the others to point to, and it claims no id.
   */
  readonly sound?: boolean;
  /** The same record again (an import repeats a policy on each of its measures' rows): checked, but not a duplicate. */
  readonly repeat?: boolean;
}

export type LocatedRecords = { readonly [K in keyof Records]?: readonly Located<Records[K][number]>[] };

type Reference = readonly [field: string, label: NodeLabel, ids: string | readonly string[] | undefined];

/** What each kind of record points to, field by field. A list field is checked item by item. */
const REFERENCES: { readonly [K in keyof Records]: (record: Records[K][number]) => readonly Reference[] } = {
  regions: (r) => [['parentId', L.Region, r.parentId]],
  industries: () => [],
  chains: (r) => [['industryIds', L.Industry, r.industryIds]],
  segments: (r) => [
    ['chainId', L.IndustrialChain, r.chainId],
    ['parentId', L.ChainSegment, r.parentId],
    ['feeds', L.ChainSegment, r.feeds.map((link) => (typeof link === 'string' ? link : link.segmentId))],
  ],
  enterprises: (r) => [
    ['regionId', L.Region, r.regionId],
    ['parent.enterpriseId', L.Enterprise, r.parent?.enterpriseId],
  ],
  segmentLinks: (r) => [
    ['enterpriseId', L.Enterprise, r.enterpriseId],
    ['segmentId', L.ChainSegment, r.segmentId],
  ],
  supplies: (r) => [
    ['supplierId', L.Enterprise, r.supplierId],
    ['customerId', L.Enterprise, r.customerId],
  ],
  platforms: (r) => [
    ['regionId', L.Region, r.regionId],
    ['hostEnterpriseId', L.Enterprise, r.hostEnterpriseId],
    ['segmentIds', L.ChainSegment, r.segmentIds],
    ['industryIds', L.Industry, r.industryIds],
  ],
  bases: (r) => [
    ['regionId', L.Region, r.regionId],
    ['focusIndustryIds', L.Industry, r.focusIndustryIds],
  ],
  programmes: (r) => [
    ['chainIds', L.IndustrialChain, r.chainIds],
    ['industryIds', L.Industry, r.industryIds],
  ],
  programmeFields: (r) => [['programmeId', L.Programme, r.programmeId]],
  projects: (r) => [
    ['programmeId', L.Programme, r.programmeId],
    ['enterpriseIds', L.Enterprise, r.enterpriseIds],
    ['segmentIds', L.ChainSegment, r.segmentIds],
  ],
  policies: (r) => [['regionId', L.Region, r.regionId]],
  measures: (r) => [
    ['policyId', L.Policy, r.policyId],
    ['appliesTo.industryIds', L.Industry, r.appliesTo.industryIds],
    ['appliesTo.chainIds', L.IndustrialChain, r.appliesTo.chainIds],
    ['appliesTo.segmentIds', L.ChainSegment, r.appliesTo.segmentIds],
    ['appliesTo.programmeIds', L.Programme, r.appliesTo.programmeIds],
  ],
  targets: (r) => [
    ['programmeId', L.Programme, r.programmeId],
    ['policyId', L.Policy, r.policyId],
  ],
};

/** The node each kind of record with an id becomes; links (segmentLinks, supplies) have no id of their own. */
const NODE_OF: { readonly [K in keyof Records]?: NodeLabel } = {
  regions: L.Region,
  industries: L.Industry,
  chains: L.IndustrialChain,
  segments: L.ChainSegment,
  enterprises: L.Enterprise,
  platforms: L.Platform,
  bases: L.DemonstrationBase,
  programmes: L.Programme,
  programmeFields: L.ProgrammeField,
  projects: L.Project,
  policies: L.Policy,
  measures: L.PolicyMeasure,
  targets: L.Target,
};

const KINDS = Object.keys(REFERENCES) as (keyof Records)[];

/** Each kind's located records, typed loosely: the checker reads the fields REFERENCES and NODE_OF name. */
function entries(records: LocatedRecords): [keyof Records, readonly Located<{ id?: string }>[]][] {
  return KINDS.map((kind) => [kind, (records[kind] ?? []) as readonly Located<{ id?: string }>[]]);
}

function referencesOf(kind: keyof Records, record: unknown): readonly Reference[] {
  return (REFERENCES[kind] as (record: unknown) => readonly Reference[])(record);
}

const listOf = (ids: Reference[2]): readonly (string | undefined)[] =>
  typeof ids === 'string' || ids === undefined ? [ids] : ids;

/** The ids the records point to, by label: what a merge looks up in the graph before checking. */
export function referencedIds(records: LocatedRecords): Map<NodeLabel, Set<string>> {
  const wanted = new Map<NodeLabel, Set<string>>();
  for (const [kind, located] of entries(records)) {
    for (const { record } of located) {
      for (const [, label, ids] of referencesOf(kind, record)) {
        const set = wanted.get(label) ?? new Set<string>();
        for (const id of listOf(ids)) if (id !== undefined) set.add(id);
        wanted.set(label, set);
      }
    }
  }
  return wanted;
}

/**
 * The references of a record that are links between two nodes, each with the provenance of its link: the record's,
 * except an enterprise's parent group (its own) and a segment's feed given with its own.
 */
function linkReferencesOf(kind: keyof Records, record: unknown): LinkReference[] {
  const { provenance } = record as { provenance: Provenance };
  const links: LinkReference[] = [];
  for (const [field, label, ids] of referencesOf(kind, record)) {
    const own =
      field === 'parent.enterpriseId'
        ? (record as Records['enterprises'][number]).parent?.provenance
        : undefined;
    if (typeof ids === 'string') links.push({ field, label, id: ids, provenance: own ?? provenance });
    else if (ids !== undefined)
      ids.forEach((id, index) => links.push({ field: `${field}[${index}]`, label, id, provenance }));
  }
  return links;
}

/**
 * Checks the references of a load, reporting each problem through its record: ids, references, links once, and the
 * integrity rules of integrity.ts (the provenance of links, supply evidence, one company one record). `existing`
 * gives what the graph already holds of a node (a merge: its provenance and name), or undefined when it is not
 * there; a seed load is whole and passes nothing. `identities`: the graph's enterprises by code and name key.
 */
export function checkReferences(
  records: LocatedRecords,
  existing: (label: NodeLabel, id: string) => NodeFacts | undefined = () => undefined,
  identities?: EnterpriseIdentities,
): void {
  const all = entries(records);
  const inLoad = new Map<NodeLabel, Set<string>>();
  const owners = new Map<string, string>();
  for (const [kind, located] of all) {
    const label = NODE_OF[kind];
    if (label === undefined) continue;
    const ids = inLoad.get(label) ?? new Set<string>();
    inLoad.set(label, ids);
    for (const { record, where, report, sound = true, repeat = false } of located) {
      if (!sound || record.id === undefined) continue;
      ids.add(record.id);
      if (repeat) continue;
      const owner = owners.get(record.id);
      if (owner !== undefined) report('id', `duplicate of ${owner}`);
      else owners.set(record.id, where);
    }
  }
  const known = (label: NodeLabel, id: string) =>
    inLoad.get(label)?.has(id) === true || existing(label, id) !== undefined;

  for (const [kind, located] of all) {
    for (const { record, report } of located) {
      for (const [field, label, ids] of referencesOf(kind, record)) {
        if (typeof ids === 'string' || ids === undefined) {
          if (ids !== undefined && !known(label, ids)) report(field, `no ${label} with id '${clip(ids)}'`);
          continue;
        }
        const seen = new Set<string>();
        ids.forEach((id, index) => {
          if (!known(label, id)) report(`${field}[${index}]`, `no ${label} with id '${clip(id)}'`);
          if (seen.has(id)) report(`${field}[${index}]`, `'${clip(id)}' is listed twice`);
          seen.add(id);
        });
      }
    }
  }

  // Links: one per pair, and nothing linked to itself.
  const links = new Map<string, string>();
  const once = (located: Located<unknown>, key: string, field: string) => {
    if (located.sound === false) return;
    const first = links.get(key);
    if (first !== undefined) located.report(field, `duplicate of ${first}`);
    else links.set(key, located.where);
  };
  for (const located of records.segmentLinks ?? []) {
    const { enterpriseId, segmentId } = located.record;
    if (enterpriseId !== undefined) once(located, `s|${enterpriseId}|${segmentId}`, 'segmentId');
  }
  for (const located of records.supplies ?? []) {
    const { supplierId, customerId } = located.record;
    if (supplierId === undefined || customerId === undefined) continue;
    if (supplierId === customerId) located.report('customerId', SELF_SUPPLY);
    once(located, `p|${supplierId}|${customerId}`, 'customerId');
  }
  for (const { record, report } of records.segments ?? []) {
    if (record.parentId === record.id) report('parentId', 'a segment cannot be its own parent');
    record.feeds.forEach((link, index) => {
      if ((typeof link === 'string' ? link : link.segmentId) === record.id)
        report(`feeds[${index}]`, 'a segment cannot feed itself');
    });
  }
  checkRegionCycles(records.regions ?? []);

  // What the load says of each node (a merge's record replaces the graph's provenance), else what the graph holds.
  const facts = new Map<string, NodeFacts>();
  for (const [kind, located] of all) {
    const label = NODE_OF[kind];
    if (label === undefined) continue;
    for (const { record, sound = true } of located) {
      const { id, name, title, provenance } = record as {
        id?: string;
        name?: string;
        title?: string;
        provenance: Provenance;
      };
      if (!sound || id === undefined || facts.has(`${label}|${id}`)) continue;
      facts.set(`${label}|${id}`, { source: provenance.source, name: name ?? title });
    }
  }
  checkLinkProvenance(
    all as unknown as Parameters<typeof checkLinkProvenance>[0],
    (kind) => NODE_OF[kind],
    linkReferencesOf,
    (label, id) => facts.get(`${label}|${id}`) ?? existing(label, id),
  );
  checkSupplyEvidence(records.supplies ?? []);
  checkEnterpriseIdentity(records.enterprises ?? [], identities);
}

/** A region whose parents lead back to itself. */
function checkRegionCycles(regions: LocatedRecords['regions'] & object): void {
  const parentOf = new Map(regions.map(({ record }) => [record.id, record.parentId]));
  for (const { record, report } of regions) {
    const visited = new Set<string>();
    for (
      let current: string | undefined = record.id;
      current !== undefined;
      current = parentOf.get(current)
    ) {
      if (visited.has(current)) {
        report('parentId', `the parent chain of '${record.id}' loops back to '${current}'`);
        break;
      }
      visited.add(current);
    }
  }
}
