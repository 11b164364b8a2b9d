import { NodeLabel as L, type NodeLabel } from '../data/model.js';
import { clip } from '../errors.js';
import type { EnterpriseRecord, Provenance, Records } from './records.js';
import type { Located } from './references.js';

/**
 * The integrity rules of a load, called by the one reference checker (references.ts) for seeds and imports alike:
 * no invented fact touches a real entity, a real supply link names its evidence, and one company is one record
 * (stock code, credit code and normalised names unique).
 */

/** What the checker knows of a node a record points to: from the same load, or (an import) from the graph. */
export interface NodeFacts {
  readonly source?: string | undefined;
  readonly name?: string | undefined;
}

/**
 * The classification frame: an illustrative firm may be located in a real region, operate in a real segment of a
 * real chain. Every other node is an entity, and a link between entities must be as real as both of its ends.
 */
const FRAME: ReadonlySet<NodeLabel> = new Set<NodeLabel>([
  L.Region,
  L.Industry,
  L.IndustrialChain,
  L.ChainSegment,
]);

const REAL = new Set(['PLAN', 'PUBLIC']);

/** One end of a link: which node, in what role, and what is known of it. */
interface End {
  readonly role: string;
  readonly label: NodeLabel;
  readonly id: string;
  readonly facts: NodeFacts | undefined;
}

const describeEnd = ({ role, label, id, facts }: End) =>
  `${role} ${label} '${clip(id)}'${facts?.name ? ` (${clip(facts.name)})` : ''} is ${facts?.source ?? 'unknown'}`;

/**
 * The provenance rule for one link: an ILLUSTRATIVE link may not touch a real (PLAN or PUBLIC) entity, and a real
 * link may not touch an ILLUSTRATIVE entity (a real-looking fact about an invented firm). Frame ends never count.
 * Returns the problem, naming both ends, or null.
 */
export function linkProvenanceProblem(link: Provenance['source'], ends: readonly [End, End]): string | null {
  const entities = ends.filter((end) => !FRAME.has(end.label) && end.facts?.source !== undefined);
  const offends =
    link === 'ILLUSTRATIVE'
      ? entities.some((end) => REAL.has(end.facts!.source!))
      : entities.some((end) => end.facts!.source === 'ILLUSTRATIVE');
  if (!offends) return null;
  const head =
    link === 'ILLUSTRATIVE'
      ? 'an ILLUSTRATIVE link cannot touch a real entity'
      : `a ${link} link cannot touch an ILLUSTRATIVE entity`;
  return `${head}: ${ends.map(describeEnd).join(', ')}`;
}

/** A located record of any kind, read loosely: the fields the rules need. */
type Loose = Located<{ id?: string; name?: string; title?: string; provenance: Provenance }>;

/** The references that form links, per kind, with the provenance of the link when it is not the record's. */
export interface LinkReference {
  readonly field: string;
  readonly label: NodeLabel;
  readonly id: string;
  readonly provenance: Provenance;
}

/**
 * Checks the provenance rule on every link of a load. `referencesOf` gives a record's references; `kindLabel` the
 * node a kind's records become (undefined for the link kinds, segmentLinks and supplies, whose two ends are both
 * references); `facts` what is known of a node.
 */
export function checkLinkProvenance(
  all: readonly (readonly [keyof Records, readonly Loose[]])[],
  kindLabel: (kind: keyof Records) => NodeLabel | undefined,
  references: (kind: keyof Records, record: unknown) => readonly LinkReference[],
  facts: (label: NodeLabel, id: string) => NodeFacts | undefined,
): void {
  const LINK_ROLES: Partial<Record<keyof Records, readonly [string, string]>> = {
    segmentLinks: ['enterprise', 'segment'],
    supplies: ['supplier', 'customer'],
  };
  for (const [kind, located] of all) {
    const label = kindLabel(kind);
    for (const { record, report } of located) {
      const refs = references(kind, record);
      const roles = LINK_ROLES[kind];
      if (roles !== undefined) {
        const [from, to] = refs;
        if (from === undefined || to === undefined) continue;
        const problem = linkProvenanceProblem(record.provenance.source, [
          { role: roles[0], label: from.label, id: from.id, facts: facts(from.label, from.id) },
          { role: roles[1], label: to.label, id: to.id, facts: facts(to.label, to.id) },
        ]);
        if (problem !== null) report(to.field, problem);
        continue;
      }
      if (label === undefined || record.id === undefined) continue;
      const self: End = {
        role: 'this',
        label,
        id: record.id,
        facts: { source: record.provenance.source, name: record.name ?? record.title },
      };
      for (const ref of refs) {
        const problem = linkProvenanceProblem(ref.provenance.source, [
          self,
          {
            role: ref.field.replace(/\[\d+\]$/, ''),
            label: ref.label,
            id: ref.id,
            facts: facts(ref.label, ref.id),
          },
        ]);
        if (problem !== null) report(ref.field, problem);
      }
    }
  }
}

export const PUBLIC_SUPPLY_NEEDS_EVIDENCE =
  'a PUBLIC supply link needs its evidence {kind, title, year}: the document that shows it (a PLAN link rests on its plan section)';
export const ILLUSTRATIVE_SUPPLY_NO_EVIDENCE =
  'an ILLUSTRATIVE supply link may not carry evidence: an invented link has no document';

/** The evidence rule of a supply link. */
export function checkSupplyEvidence(supplies: readonly Located<Records['supplies'][number]>[]): void {
  for (const { record, report } of supplies) {
    const { source } = record.provenance;
    if (source === 'PUBLIC' && record.evidence === undefined)
      report('evidence', PUBLIC_SUPPLY_NEEDS_EVIDENCE);
    if (source === 'ILLUSTRATIVE' && record.evidence !== undefined)
      report('evidence', ILLUSTRATIVE_SUPPLY_NO_EVIDENCE);
  }
}

/**
 * Company-form suffixes dropped from a name's key: 石药创新制药股份有限公司 and 石药创新制药 are one company. 集团 is
 * kept: a group and its listed arm are two companies.
 */
const COMPANY_FORMS = ['股份有限公司', '有限责任公司', '有限公司', '股份公司'];

/**
 * The key two names of one company share: trimmed, full-width forms made half-width (NFKC), lower-cased, spaces,
 * brackets of any width and their contents' brackets dropped, then the company-form suffix dropped.
 */
export function nameKey(name: string): string {
  let key = name
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\u3000()[\]{}（）【】〔〕《》<>「」『』]/g, '');
  for (const form of COMPANY_FORMS) {
    if (key.endsWith(form) && key.length > form.length) {
      key = key.slice(0, -form.length);
      break;
    }
  }
  return key;
}

/**
 * Every name key of an enterprise: its registered name and former names. Not its short name: the exchanges let two
 * companies trade under one short name (三维股份 is 603033.SH and 831834.BJ), and the stock code tells them apart.
 */
export function nameKeysOf(enterprise: Pick<EnterpriseRecord, 'name' | 'formerNames'>): string[] {
  const names = [enterprise.name, ...(enterprise.formerNames ?? [])];
  return [...new Set(names.filter((name): name is string => name !== undefined).map(nameKey))].filter(
    (key) => key.length > 0,
  );
}

/** What the graph holds of the enterprises an import's codes and name keys name (one lookup, see importer.ts). */
export interface EnterpriseIdentities {
  readonly byStockCode: ReadonlyMap<string, { id: string; name: string }>;
  readonly byCreditCode: ReadonlyMap<string, { id: string; name: string }>;
  readonly byNameKey: ReadonlyMap<string, { id: string; name: string }>;
}

/**
 * One company, one record: no two enterprises share a stock code, a credit code or a name key (registered or
 * former name, normalised). Within the load, and against what the graph holds when `graph` is given (a record of
 * the load that updates a node of the graph is not its own duplicate).
 */
export function checkEnterpriseIdentity(
  enterprises: readonly Located<EnterpriseRecord>[],
  graph?: EnterpriseIdentities,
): void {
  const owners = {
    stockCode: new Map<string, Located<EnterpriseRecord>>(),
    creditCode: new Map<string, Located<EnterpriseRecord>>(),
    name: new Map<string, Located<EnterpriseRecord>>(),
  };
  const who = (record: { id: string; name: string }) =>
    `Enterprise '${clip(record.id)}' (${clip(record.name)})`;
  for (const located of enterprises) {
    if (located.sound === false || located.repeat === true) continue;
    const { record, report, where } = located;
    const codes = [
      ['stockCode', record.stockCode, graph?.byStockCode, 'stock code'],
      ['creditCode', record.creditCode, graph?.byCreditCode, 'credit code'],
    ] as const;
    for (const [field, code, stored, words] of codes) {
      if (code === undefined) continue;
      const first = owners[field].get(code);
      if (first !== undefined && first.record.id !== record.id)
        report(
          field,
          `${words} ${code} is also given to ${who(first.record)} at ${first.where}: one company, one record`,
        );
      else owners[field].set(code, located);
      const other = stored?.get(code);
      if (other !== undefined && other.id !== record.id && first === undefined)
        report(
          field,
          `${words} ${code} already belongs to ${who(other)} in the graph: one company, one record`,
        );
    }
    const reported = new Set<string>();
    for (const key of nameKeysOf(record)) {
      const first = owners.name.get(key);
      const other = graph?.byNameKey.get(key);
      const clash =
        first !== undefined && first.record.id !== record.id
          ? `${who(first.record)} at ${first.where}`
          : other !== undefined && other.id !== record.id
            ? `${who(other)} in the graph`
            : undefined;
      if (first === undefined) owners.name.set(key, located);
      if (clash !== undefined && !reported.has(clash)) {
        reported.add(clash);
        report(
          'name',
          `${who(record)} and ${clash} have the same name once normalised ('${clip(key)}'): one company, one record (merge them, keeping the old name in formerNames)`,
        );
      }
    }
    void where;
  }
}
