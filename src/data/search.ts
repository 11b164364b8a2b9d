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

/** The full-text index over the nodes' names, other names and descriptions (src/data/migrations.ts). */
export const ENTITY_SEARCH_INDEX = 'entity_search';
/** The full-text index over the products on OPERATES_IN links (src/data/migrations.ts). */
export const PRODUCT_SEARCH_INDEX = 'product_search';

export const MAX_SEARCH_TEXT = 100;
/**
 * How many hits each full-text pass takes from its index, best score first, before the kind and provenance filters
 * and the final ordering (match tier, real before illustrative, score). It bounds the work of one search whatever
 * the size of the graph: a text found in thousands of firms (公司) reads this many, not all of them.
 */
export const SEARCH_WINDOW = 500;
/** Latin words this short are matched as word prefixes only when no whole term matches (`SiC` is not `Sichuan`). */
export const SHORT_WORD = 3;

const HAN = /\p{Script=Han}/u;
const WORD = /[\p{L}\p{N}]+/gu;
const DIGITS = /^\p{N}+$/u;
const STOCK_CODE = /^(\d{6})(?:\.(SH|SZ|BJ))?$/i;
const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{18}$/i;

export interface SearchPlan {
  /**
   * Whole terms and phrases, joined by AND. Every term is a quoted phrase of letters and digits only, so no input can
   * change the query's structure (nothing inside needs escaping, and lower case keeps AND/OR/NOT plain words).
   */
  readonly wholeQuery: string;
  /** The same with each Latin word also as a word prefix (`photo*` finds photoresist); null when there is none. */
  readonly prefixQuery: string | null;
  /** Whether prefix hits are left out when there is any whole-term hit: every prefixed word is ≤ SHORT_WORD long. */
  readonly prefixOnlyWithoutWhole: boolean;
  /** Whether the text is nothing but single Chinese characters, each matching wherever it occurs. */
  readonly singleCharacters: boolean;
  /** The stock codes the text may name (600812 → 600812.SH, .SZ and .BJ). */
  readonly stockCodes: string[];
  /** The credit code the text names, in upper case. */
  readonly creditCodes: string[];
  /** The lower-case words of the text, to tell which property a hit matched on. */
  readonly needles: string[];
}

/**
 * Turns user text into safe full-text queries for the `standard-no-stop-words` analyzer, which indexes every Chinese
 * character as a term of its own and every run of Latin letters and digits as one lower-cased term. Each word of the
 * text (a run of letters and digits) becomes a quoted phrase: Chinese text matches as a contiguous substring, and
 * digits only as a whole number (13所 is the phrase 13 + 所, never 1300). Latin words also get a prefix pass, ranked
 * after every whole-term hit. Punctuation and Lucene operators are dropped.
 */
export function planSearch(text: string): SearchPlan {
  const trimmed = text.normalize('NFC').trim();
  if (trimmed.length === 0 || [...trimmed].length > MAX_SEARCH_TEXT) {
    throw badUserInput('text', `must have 1 to ${MAX_SEARCH_TEXT} characters`);
  }
  // Lower-cased as the index's analyzer does, one character at a time: JavaScript lower-cases some letters into a
  // letter and a combining mark (İ → i + U+0307), which is no letter or digit, where Lucene gives the letter alone.
  const words = (trimmed.match(WORD) ?? []).map((word) => word.toLowerCase().replace(/\p{M}/gu, ''));
  if (words.length === 0)
    throw badUserInput('text', 'must contain at least one letter, digit or Chinese character');
  const whole = words.map((word) => `"${word}"`);
  // Only Latin words are prefixed: a number is matched whole, and a Chinese phrase already matches inside words.
  const prefixable = words.map((word) => !HAN.test(word) && !DIGITS.test(word));
  const prefixed = words.map((word, index) => (prefixable[index] ? `${word}*` : `"${word}"`));
  const stock = STOCK_CODE.exec(trimmed);
  return {
    wholeQuery: whole.join(' AND '),
    prefixQuery: prefixable.some(Boolean) ? prefixed.join(' AND ') : null,
    prefixOnlyWithoutWhole: words.every(
      (word, index) => !prefixable[index] || [...word].length <= SHORT_WORD,
    ),
    singleCharacters: words.every((word) => [...word].length === 1 && HAN.test(word)),
    stockCodes: stock
      ? stock[2]
        ? [`${stock[1]}.${stock[2].toUpperCase()}`]
        : ['SH', 'SZ', 'BJ'].map((exchange) => `${stock[1]}.${exchange}`)
      : [],
    creditCodes: CREDIT_CODE.test(trimmed) ? [trimmed.toUpperCase()] : [],
    needles: words,
  };
}

export interface SearchArguments {
  readonly text: string;
  readonly kinds: readonly string[] | null | undefined;
  readonly sources: readonly string[] | null | undefined;
  readonly first: number;
}

/** `matches(x)`: every word of the text occurs in x, ignoring case (Cypher has no functions of our own). */
const matches = (expression: string) =>
  `(${expression} IS NOT NULL AND all(needle IN $needles WHERE toLower(${expression}) CONTAINS needle))`;

/** The first value of a list property that matches. */
const firstOf = (list: string) => `[v IN coalesce(${list}, []) WHERE ${matches('v')}][0]`;

/**
 * The property a hit matched on, looked at in this order on the hit itself (bounded by LIMIT, no scan): the index
 * says whether a node matches, not where. A code or product hit already knows.
 */
const MATCHED_ON = `CASE
      WHEN best.field IS NOT NULL THEN { field: best.field, value: best.value }
      WHEN ${matches('node.name')} THEN { field: 'NAME', value: null }
      WHEN ${matches('node.shortName')} THEN { field: 'SHORT_NAME', value: node.shortName }
      WHEN ${firstOf('node.aliases')} IS NOT NULL THEN { field: 'ALIAS', value: ${firstOf('node.aliases')} }
      WHEN ${firstOf('node.formerNames')} IS NOT NULL
        THEN { field: 'FORMER_NAME', value: ${firstOf('node.formerNames')} }
      WHEN ${firstOf('node.synonyms')} IS NOT NULL THEN { field: 'SYNONYM', value: ${firstOf('node.synonyms')} }
      WHEN ${matches('node.nameEn')} THEN { field: 'NAME_EN', value: null }
      WHEN ${matches('node.description')} THEN { field: 'DESCRIPTION', value: null }
      ELSE { field: 'TEXT', value: null } END`;

export function searchQuery(args: SearchArguments): CypherQuery {
  const plan = planSearch(args.text);
  const labels = (args.kinds && args.kinds.length > 0 ? args.kinds : Object.keys(SEARCH_KIND_LABELS)).map(
    (kind) => {
      const label = SEARCH_KIND_LABELS[kind];
      if (!label) throw badUserInput('kinds', `unknown kind '${clip(kind)}'`);
      return label;
    },
  );
  const enterprises = labels.includes(L.Enterprise);
  const sourceCondition = args.sources && args.sources.length > 0 ? ' AND node.source IN $sources' : '';
  const nodeFilter = `any(label IN labels(node) WHERE label IN $labels)${sourceCondition}`;
  const hit = (score: string, tier: number, matchedBy: string, field: string, value: string) =>
    `RETURN node, ${score} AS score, ${tier} AS tier, ${matchedBy} AS matchedBy, ${field} AS field, ${value} AS value`;

  // Tier 0: a stock or credit code, looked up by equality in its range index.
  // Tier 1: whole terms and phrases in the names, other names and descriptions, and in the firms' products.
  // Tier 2: Latin word prefixes (below).
  const branches: string[] = [];
  if (enterprises && plan.stockCodes.length > 0) {
    branches.push(`MATCH (node:${L.Enterprise}) WHERE node.stockCode IN $stockCodes${sourceCondition}
      ${hit('1.0', 0, "'EXACT'", "'STOCK_CODE'", 'node.stockCode')}`);
  }
  if (enterprises && plan.creditCodes.length > 0) {
    branches.push(`MATCH (node:${L.Enterprise}) WHERE node.creditCode IN $creditCodes${sourceCondition}
      ${hit('1.0', 0, "'EXACT'", "'CREDIT_CODE'", 'node.creditCode')}`);
  }
  branches.push(`CALL db.index.fulltext.queryNodes('${ENTITY_SEARCH_INDEX}', $whole, { limit: $window })
      YIELD node, score
      WHERE ${nodeFilter}
      ${hit('score', 1, '$wholeMatch', 'null', 'null')}`);
  if (enterprises) {
    // A firm's products sit on its OPERATES_IN links: the hit is the firm, and the product that matched is the reason.
    branches.push(`CALL db.index.fulltext.queryRelationships('${PRODUCT_SEARCH_INDEX}', $whole, { limit: $window })
      YIELD relationship, score
      WITH startNode(relationship) AS node, relationship, score
      WHERE node:${L.Enterprise}${sourceCondition}
      ${hit('score', 1, '$wholeMatch', "'PRODUCT'", `coalesce([p IN relationship.mainProducts WHERE ${matches('p')}][0], relationship.mainProducts[0])`)}`);
  }
  const prefixPass =
    plan.prefixQuery === null
      ? 'WITH hits, [] AS prefixHits'
      : `CALL (hits) {
      WITH hits WHERE size(hits) = 0 OR NOT $prefixOnlyWithoutWhole
      CALL db.index.fulltext.queryNodes('${ENTITY_SEARCH_INDEX}', $prefix, { limit: $window }) YIELD node, score
      WITH node, score WHERE ${nodeFilter}
      RETURN collect({ node: node, score: score, tier: 2, matchedBy: 'PREFIX', field: null, value: null }) AS prefixHits
    }`;
  const cypher = `CALL { ${branches.join(' UNION ALL ')} }
    WITH collect({ node: node, score: score, tier: tier, matchedBy: matchedBy, field: field, value: value }) AS hits
    ${prefixPass}
    UNWIND hits + prefixHits AS hit
    WITH hit.node AS node, hit ORDER BY hit.tier, hit.score DESC
    // A node found several ways keeps its best-tier, best-scored match.
    WITH node, collect(hit)[0] AS best
    // Within a tier, real (PLAN, PUBLIC) before illustrative, then by score: an invented firm never outranks a real one
    // it ties with on the kind of match, whatever Lucene's length norms make of their names.
    WITH node, best, CASE node.source WHEN 'ILLUSTRATIVE' THEN 1 ELSE 0 END AS illustrative
    ORDER BY best.tier, illustrative, best.score DESC, node.id
    LIMIT $first
    RETURN [label IN labels(node) WHERE label IN $labels][0] AS label, node.id AS id, node.name AS name,
      node.nameEn AS nameEn, best.score AS score, best.matchedBy AS matchedBy,
      ${MATCHED_ON} AS matchedOn,
      { source: node.source, section: node.section, note: node.note } AS provenance`;
  return {
    cypher,
    params: {
      whole: plan.wholeQuery,
      prefix: plan.prefixQuery,
      prefixOnlyWithoutWhole: plan.prefixOnlyWithoutWhole,
      wholeMatch: plan.singleCharacters ? 'SUBSTRING' : 'FULLTEXT',
      stockCodes: plan.stockCodes,
      creditCodes: plan.creditCodes,
      needles: plan.needles,
      labels,
      sources: args.sources ?? null,
      window: neo4j.int(SEARCH_WINDOW),
      first: neo4j.int(args.first),
    },
  };
}

/** The property a hit matched on (SearchField in the SDL). */
export type SearchField =
  | 'STOCK_CODE'
  | 'CREDIT_CODE'
  | 'NAME'
  | 'SHORT_NAME'
  | 'ALIAS'
  | 'FORMER_NAME'
  | 'SYNONYM'
  | 'PRODUCT'
  | 'NAME_EN'
  | 'DESCRIPTION'
  | 'TEXT';

/** How a reason reads: "product 连花清瘟胶囊", "stock code 600812.SH", "former name 新诺威". */
const FIELD_WORDS: Record<SearchField, string> = {
  STOCK_CODE: 'stock code',
  CREDIT_CODE: 'credit code',
  NAME: 'name',
  SHORT_NAME: 'short name',
  ALIAS: 'alias',
  FORMER_NAME: 'former name',
  SYNONYM: 'synonym',
  PRODUCT: 'product',
  NAME_EN: 'English name',
  DESCRIPTION: 'description',
  TEXT: 'names and description together',
};

export interface SearchHitRecord {
  kind: string;
  id: string;
  name: string;
  nameEn: string | null;
  score: number;
  matchedBy: string;
  matchedOn: SearchField;
  matchedText: string | null;
  reason: string;
  provenance: Record<string, unknown>;
}

export async function search(executor: Executor, args: SearchArguments): Promise<SearchHitRecord[]> {
  const rows = await executor.read('search', searchQuery(args));
  return rows.map((row) => {
    const matchedOn = row['matchedOn'] as { field: SearchField; value: string | null };
    return {
      kind: KIND_OF_LABEL[String(row['label'])] ?? 'ENTERPRISE',
      id: String(row['id']),
      name: String(row['name']),
      nameEn: (row['nameEn'] as string | null) ?? null,
      score: Number(row['score']),
      matchedBy: String(row['matchedBy']),
      matchedOn: matchedOn.field,
      matchedText: matchedOn.value,
      reason: [FIELD_WORDS[matchedOn.field], matchedOn.value].filter(Boolean).join(' '),
      provenance: row['provenance'] as Record<string, unknown>,
    };
  });
}
