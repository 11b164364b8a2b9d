import neo4j from 'neo4j-driver';

import { badUserInput, clip } from '../errors.js';
import type { CypherQuery } from './cypher.js';
import type { Executor } from './executor.js';
import { NodeLabel as L, type NodeLabel } from './model.js';

/** The API's search kinds and the labels behind them. */
export const SEARCH_KIND_LABELS: Readonly<Record<string, NodeLabel>> = {
  REGION: L.Region,
  INDUSTRY: L.Industry,
  CHAIN: L.IndustrialChain,
  SEGMENT: L.ChainSegment,
  ENTERPRISE: L.Enterprise,
  PLATFORM: L.Platform,
  DEMONSTRATION_BASE: L.DemonstrationBase,
  PROGRAMME: L.Programme,
  PROGRAMME_FIELD: L.ProgrammeField,
  PROJECT: L.Project,
  POLICY: L.Policy,
  POLICY_MEASURE: L.PolicyMeasure,
  TARGET: L.Target,
};
const KIND_OF_LABEL = Object.fromEntries(
  Object.entries(SEARCH_KIND_LABELS).map(([kind, label]) => [label, kind]),
);

export const MAX_SEARCH_TEXT = 100;
const HAN_RUN = /\p{Script=Han}+/gu;
const WORD = /[\p{L}\p{N}]+/gu;

export interface SearchPlan {
  /** The Lucene query for the full-text index, built from letters and digits only (nothing to escape). */
  readonly luceneQuery: string | null;
  /** Whether the substring scan is needed: a lone Chinese character is not in the bigram index. */
  readonly substring: boolean;
}

/**
 * Turns user text into a safe full-text query. Chinese runs become phrases (the cjk analyzer indexes character
 * bigrams, so a phrase matches any substring of two or more characters); other words become prefix queries
 * (`photo*` finds photoresist). Punctuation and Lucene operators are dropped, so no input can change the query's
 * structure.
 */
export function planSearch(text: string): SearchPlan {
  const trimmed = text.normalize('NFC').trim();
  if (trimmed.length === 0 || [...trimmed].length > MAX_SEARCH_TEXT) {
    throw badUserInput('text', `must have 1 to ${MAX_SEARCH_TEXT} characters`);
  }
  const terms: string[] = [];
  let loneHan = false;
  for (const word of trimmed.match(WORD) ?? []) {
    let rest = word;
    for (const han of word.match(HAN_RUN) ?? []) {
      if ([...han].length === 1) loneHan = true;
      else terms.push(`"${han}"`);
      rest = rest.replace(han, ' ');
    }
    for (const latin of rest.split(' ').filter(Boolean)) terms.push(`${latin.toLowerCase()}*`);
  }
  if (terms.length === 0 && !loneHan)
    throw badUserInput('text', 'must contain at least one letter, digit or Chinese character');
  return { luceneQuery: terms.length > 0 ? terms.join(' AND ') : null, substring: loneHan };
}

export interface SearchArguments {
  readonly text: string;
  readonly kinds: readonly string[] | null | undefined;
  readonly sources: readonly string[] | null | undefined;
  readonly first: number;
}

export function searchQuery(args: SearchArguments): CypherQuery {
  const plan = planSearch(args.text);
  const labels = (args.kinds && args.kinds.length > 0 ? args.kinds : Object.keys(SEARCH_KIND_LABELS)).map(
    (kind) => {
      const label = SEARCH_KIND_LABELS[kind];
      if (!label) throw badUserInput('kinds', `unknown kind '${clip(kind)}'`);
      return label;
    },
  );
  const sourceCondition = args.sources && args.sources.length > 0 ? ' AND node.source IN $sources' : '';
  const branches: string[] = [];
  if (plan.luceneQuery !== null) {
    branches.push(`CALL db.index.fulltext.queryNodes('entity_search', $lucene) YIELD node, score
      WHERE any(label IN labels(node) WHERE label IN $labels)${sourceCondition}
      RETURN node, score, 'FULLTEXT' AS matchedBy, 0 AS rank ORDER BY score DESC LIMIT $first`);
  }
  if (plan.substring) {
    // Labels come from the closed list above; text goes in as a parameter.
    branches.push(`MATCH (node) WHERE (${labels.map((label) => `node:${label}`).join(' OR ')})
        AND (node.name CONTAINS $text OR toLower(coalesce(node.nameEn, '')) CONTAINS toLower($text))${sourceCondition}
      RETURN node, toFloat(size($text)) / size(node.name) AS score, 'SUBSTRING' AS matchedBy, 1 AS rank
      ORDER BY score DESC, node.id LIMIT $first`);
  }
  const cypher = `CALL { ${branches.join(' UNION ALL ')} }
    WITH node, rank, score, matchedBy ORDER BY rank
    // A node found both ways keeps its full-text match (the better-ranked one).
    WITH node, collect({ rank: rank, score: score, matchedBy: matchedBy })[0] AS best
    ORDER BY best.rank, best.score DESC, node.id
    LIMIT $first
    RETURN [label IN labels(node) WHERE label IN $labels][0] AS label, node.id AS id, node.name AS name,
      node.nameEn AS nameEn, best.score AS score, best.matchedBy AS matchedBy,
      { source: node.source, section: node.section, note: node.note } AS provenance`;
  return {
    cypher,
    params: {
      lucene: plan.luceneQuery,
      text: args.text.normalize('NFC').trim(),
      labels,
      sources: args.sources ?? null,
      first: neo4j.int(args.first),
    },
  };
}

export interface SearchHitRecord {
  kind: string;
  id: string;
  name: string;
  nameEn: string | null;
  score: number;
  matchedBy: string;
  provenance: Record<string, unknown>;
}

export async function search(executor: Executor, args: SearchArguments): Promise<SearchHitRecord[]> {
  const rows = await executor.read('search', searchQuery(args));
  return rows.map((row) => ({
    kind: KIND_OF_LABEL[String(row['label'])] ?? 'ENTERPRISE',
    id: String(row['id']),
    name: String(row['name']),
    nameEn: (row['nameEn'] as string | null) ?? null,
    score: Number(row['score']),
    matchedBy: String(row['matchedBy']),
    provenance: row['provenance'] as Record<string, unknown>,
  }));
}
