import {
  candidateLinkagePart,
  linkageFrom,
  readCandidateLinkage,
  readCandidateLinks,
  type Sources,
} from './facts.js';
import type { CachedStructures } from './structureCache.js';
import {
  breadthValue,
  CAPABILITY_KEY_SCALE,
  capabilityKey,
  fitValue,
  haversineKm,
  LINKAGE_VALUE,
  proximityValue,
  rankCandidates,
  scoreWithLinkage,
  unseenBound,
  type CandidateFacts,
  type GapInScope,
  type TargetRecommendation,
  type TargetWeights,
  type WalkFrontier,
} from './targets.js';
import neo4j from 'neo4j-driver';

import { cypher, type CypherQuery } from '../data/cypher.js';
import type { Executor, Row } from '../data/executor.js';
import {
  MAX_REGION_DEPTH,
  NodeLabel as L,
  PROVENANCE_SOURCES,
  RelationshipType as T,
} from '../data/model.js';
import { AppError, ErrorCode } from '../errors.js';

/**
 * Target firms ranked in the database. Every OPERATES_IN relationship carries a rank key — core role first, then the
 * firm's capability (size, leading, high-tech, platforms hosted, all counted) descending, then the firm's id — and
 * the segment's id, indexed together (`operates_in_rank`, src/data/migrations.ts). A gap segment's firms are then
 * read best-first from the index, a page at a time, and the walk stops as soon as no unread firm can reach the top
 * (Fagin's threshold algorithm). The linkage factor is read only for the read firms that can still reach it, and
 * the links themselves only for the firms ranked.
 */

/**
 * Rows read per segment in the first round of a walk; each further round reads twice as many. Small, because a
 * first round reads every lane of every gap before any bound has pruned one (25 read 4,674 rows where 100 read
 * 18,024 for the same answer at 200,000 firms), and because the linked read before it has usually found the top
 * already (a city's biomedicine gaps at 200,000 firms: 610 rows at 25, 202 at 8, the same answer).
 */
export const FIRST_WALK_PAGE = 8;

/** Every capability key a firm can have (size × leading × high-tech × platforms hosted, 0–2), highest first. */
const CAPABILITY_KEYS: readonly number[] = [
  ...new Set(
    // UNKNOWN scores as MICRO (the CASE below and capabilityKey both fall back to it), so it adds no key.
    ['LARGE', 'MEDIUM', 'SMALL', 'MICRO', 'UNKNOWN'].flatMap((sizeBand) =>
      [false, true].flatMap((leading) =>
        [false, true].flatMap((highTech) =>
          [0, 1, 2].map((platformsHosted) => capabilityKey({ sizeBand, leading, highTech, platformsHosted })),
        ),
      ),
    ),
  ),
].sort((a, b) => b - a);

/**
 * Added to a supplier's capability key in its linkedOrder code: more than any capability key (CAPABILITY_KEY_SCALE),
 * so that the code tells a linkage and a key apart.
 */
const SUPPLIER_CODE = 100_000;

/** Cypher: the linkedOrder code of a linked firm, from the names of its linkage and capability key. */
const linkedOrderCode = (linkage: string, capabilityKey: string) =>
  `(CASE WHEN ${linkage} = ${LINKAGE_VALUE.SUPPLIES_LOCAL} THEN ${SUPPLIER_CODE} ELSE 0 END + toInteger(${capabilityKey}))`;

/** The linkedOrder code of a linkage and capability key, as linkedOrderCode computes it in Cypher. */
function linkedCodeOf(linkage: number, capabilityKey: number): string {
  return String((linkage === LINKAGE_VALUE.SUPPLIES_LOCAL ? SUPPLIER_CODE : 0) + Math.trunc(capabilityKey));
}

/**
 * The place of each linkage and capability key a linked firm can have (keyed by its code, linkedOrderCode), best
 * bound first: the order in which linkedCandidatesQuery ships them. A firm's linkage is SUPPLIES_LOCAL or
 * BUYS_FROM_LOCAL and its key one of CAPABILITY_KEYS, so a few dozen entries place every firm exactly, whatever the
 * weights (an order computed from the weights in Cypher would compare floating sums that JavaScript rounds apart).
 */
export function linkedOrder(
  boundOf: (linkage: number, capabilityKey: number) => number,
): Record<string, number> {
  const entries = [LINKAGE_VALUE.SUPPLIES_LOCAL, LINKAGE_VALUE.BUYS_FROM_LOCAL].flatMap((linkage) =>
    CAPABILITY_KEYS.map((capabilityKey) => ({
      code: linkedCodeOf(linkage, capabilityKey),
      bound: boundOf(linkage, capabilityKey),
    })),
  );
  entries.sort((a, b) => b.bound - a.bound);
  return Object.fromEntries(entries.map((entry, place) => [entry.code, place]));
}

/**
 * Linked firms the first linked read ships for a request of `first` firms. The bench's six cities × chains at a
 * million firms have 199–3,772 linked firms, read the facts of 150 and rank ten: with 500 shipped, one of the six
 * (wuhan × biomedicine, 3,532) needed the second read — the bound of the first firm left out (63.46, with the best
 * proximity) was above the tenth best (63.22) — and with 1,000 none did (61.06 left out).
 */
export function linkedPageFor(first: number): number {
  return Math.max(1_000, 100 * first);
}

/**
 * Firms whose linkage factor one statement reads (readCandidateLinkage). Every read firm whose score could still
 * reach the top gets it, so the first-th best score rises to its true value as the walk goes: with linkage read for
 * a few firms only (20 a round, as before), the first-th best stayed a lower bound some 15 points below it, no unread
 * firm could be ruled out, and the walk read the whole segment (TARGET_SCAN_LIMIT at 200,000 firms).
 */
const LINKAGE_BATCH = 1_000;

/** The role digit, the capability key counted down (5 digits), the firm's id: ascending order is best first. */
const RANK_KEY_DIGITS = 5;

/**
 * Cypher: every platform firm `e` hosts, counted once (each count walks the firm's relationships). A HOSTED_BY link
 * only ever starts at a platform (its one write path is a platform row, src/ingest/batches.ts), so the neighbour's
 * label is not checked: checking it (and a home's, in linkedCandidatesQuery) cost 35,500 of the linked read's
 * 128,000 db hits for xiamen × biomedicine at 200,000 firms, 135 ms against 94 ms without.
 */
const HOSTED_BY_E = `COUNT { (e)<-[:${T.HOSTED_BY}]-() }`;

/**
 * Between a segment's id and a provenance in a firm's `rankOperationKeys`, and between a home's id and the provenance
 * of the firm's location in its `rankHomeKeys`: a unit separator, which no id (lowercase letters, digits and hyphens)
 * or source contains, and which sorts below every character an id has (so keys sorted are their ids sorted).
 */
const KEY_SEPARATOR = '\u001f';
/**
 * KEY_SEPARATOR as a Cypher string literal, for the statements that write and read the keys: an escape, not the
 * invisible character.
 */
export const KEY_SEPARATOR_LITERAL = `'\\u${KEY_SEPARATOR.charCodeAt(0).toString(16).padStart(4, '0')}'`;

/**
 * Cypher: the distinct ids of a sorted list of kept keys (`rankHomeKeys`, `rankOperationKeys`), in the keys' order.
 * Sorted keys give sorted ids, as the separator sorts below every character an id has, so the keys of one id are
 * side by side and an id is new exactly when it differs from the last one kept (`last([])` is null: the first is
 * always kept). Each key is split once.
 */
const idsOfKeys = (keys: string) =>
  `reduce(ids = [], id IN [key IN ${keys} | split(key, ${KEY_SEPARATOR_LITERAL})[0]] |
          CASE WHEN last(ids) = id THEN ids ELSE ids + id END)`;

/**
 * Cypher: a kept key without its last part and the separator before it (an operation's role key, `segment␟source␟role`,
 * to its operation key, `segment␟source`; the last part may be empty).
 */
const withoutLastPart = (key: string) =>
  `left(${key}, size(${key}) - size(last(split(${key}, ${KEY_SEPARATOR_LITERAL}))) - 1)`;

/** The keys `rankOperationKeys` holds for an operation in any of the segments with any of the sources. */
export function operationKeys(segmentIds: readonly string[], sources: readonly string[]): string[] {
  return [...new Set(segmentIds)].flatMap((segmentId) =>
    sources.map((source) => `${segmentId}${KEY_SEPARATOR}${source}`),
  );
}

/**
 * Cypher: the capability key of firm `e`, given `hosted`, the count of the platforms it hosts (HOSTED_BY_E, or a
 * variable bound to it) — the same table as capabilityKey in targets.ts, every platform counted.
 */
const capabilityKeyOf = (
  hosted: string,
) => `(CASE e.sizeBand WHEN 'LARGE' THEN 4000 WHEN 'MEDIUM' THEN 2800 WHEN 'SMALL' THEN 1600 ELSE 800 END
        + CASE WHEN e.leading = true THEN 2500 ELSE 0 END
        + CASE WHEN e.highTech = true THEN 2000 ELSE 0 END
        + 750 * CASE WHEN ${hosted} >= 2 THEN 2 ELSE ${hosted} END)`;
const CAPABILITY_KEY_OF_E = capabilityKeyOf('hosted');

/**
 * Cypher: the provenance lane of operation `op` of firm `e` — the sources of the two, each once, sorted and joined by
 * '+' ('PUBLIC', 'ILLUSTRATIVE+PUBLIC'), or '' when either has none — which decides whether a provenance filter admits
 * the firm through this operation (both sources listed: FIRM_SCORE_LINKS and the ranking's admission). Kept with the
 * segment as `rankLane` (RANK_BODY), the second index of the walks: see provenanceLanes.
 */
const PROVENANCE_LANE_OF_OP = `CASE WHEN e.source IS NULL OR op.source IS NULL THEN ''
         WHEN e.source = op.source THEN e.source
         WHEN e.source < op.source THEN e.source + '+' + op.source
         ELSE op.source + '+' + e.source END`;

/**
 * The provenance lanes (PROVENANCE_LANE_OF_OP) a ranking with these sources walks, or null when the sources admit
 * every provenance there is (PROVENANCE_SOURCES) and the walks take a segment's firms whatever their lane. A firm
 * enters the ranking only through an operation whose source and whose firm's source are both listed: the lanes are
 * the listed sources alone and in pairs. Without them, a filter that leaves out most firms had the walks read, and
 * throw away, every firm it leaves out above the first admitted one: at a million firms, all but 5,465 of them
 * ILLUSTRATIVE, the default real-data ranking (PLAN and PUBLIC) of each of the bench's six cities read 20,000 rows of
 * illustrative firms in 0.7–1.1 s and was refused (TARGET_SCAN_LIMIT), with a few hundred real operations in the
 * chain.
 */
export function provenanceLanes(sources: Sources): string[] | null {
  const listed = [...new Set(sources)].sort();
  if (PROVENANCE_SOURCES.every((source) => listed.includes(source))) return null;
  return listed.flatMap((source, index) => [
    source,
    ...listed.slice(index + 1).map((other) => `${source}+${other}`),
  ]);
}

/**
 * Cypher (`linkFacts`, in RANK_BODY): all targetFirms' linked read needs of a firm at the far end of a supply link, in
 * one list it reads with one property read (`rankLinkFacts`) — [id, source ('' for none), capability key, number of
 * homes, the homes' ids…, the operations' keys…] (the operations' keys as `rankOperationKeys`: the read looks each
 * entry up in a map of the gaps' segments × the sources asked for, which no entry before them can match). Read apart,
 * the keys for every link, the capability for every firm of the gaps and the id, source and homes for every one
 * shipped cost the bench's six targetFirms draws at 200,000 firms 4,480 db hits a linked read where the list costs
 * 3,025, the same firms shipped (and 5,043 before the far firm was tested ahead of the link's source).
 */
const LINK_FACTS = `[e.id, coalesce(e.source, ''), toString(capabilityKey), toString(size(homeIds))] + homeIds + operationKeys
         AS linkFacts`;

/**
 * The per-firm body of the maintenance statement: for each bound `e`, (re)computes the rank key of each of its
 * operations from its size, flags and every platform it hosts — the same table as capabilityKey in targets.ts —
 * followed by what a walk weighs a firm by before reading its facts (its home and its segments, see rankKeyParts:
 * read from the index with the key, they cost a walk row nothing, where reading them from the operation and the firm
 * cost the bench's six targetFirms draws at 200,000 firms 913 of their walks' 5,590 db hits a request),
 * and the firm's home region (`rankHomeId`: with `rankSegmentId` it finds a segment's firms in a region from an index,
 * facts.ts localEnterprisesOfSegmentQuery), and writes them only where they changed, so that running it again writes
 * nothing. A firm has at most one LOCATED_IN (src/ingest/batches.ts SINGLE); one without keeps no `rankHomeId`.
 *
 * On the firm itself it keeps the ids of its segments and of its homes, sorted (`rankSegmentIds`, `rankHomeIds`,
 * DERIVED_NODE_PROPERTIES): a scenario reads the segments and homes of every supplier of its firms, and targetFirms'
 * linked read tests every firm at the far end of a supply link for the gaps' segments — thousands of firms a
 * request at a million, each of whose typed relationships cost a walk over all its relationships (a firm has too few
 * to have them grouped by type), where a property is one read. For that read it also keeps each operation's segment
 * with its provenance (`rankOperationKeys`, see operationKeys: what the provenance filter tests, without walking the
 * operations) and its capability key (`rankCapabilityKey`, every platform counted). The operations' keys with their
 * roles (`rankOperationRoles`, `segment␟source␟role`) and the capability give what a candidate is scored by
 * (FIRM_SCORE_FACTS) without walking its relationships. A scenario's firms are read from
 * the same keys, with each home and the provenance of the firm's location (`rankHomeKeys`): aggregates.ts
 * firmCountsQuery. The home and segment ids are taken from those keys (idsOfKeys), so that one walk finds both.
 */
const RANK_BODY = `
  WITH e, ${HOSTED_BY_E} AS hosted,
       COLLECT { MATCH (e)-[located:${T.LOCATED_IN}]->(home:${L.Region})
                 RETURN DISTINCT home.id + ${KEY_SEPARATOR_LITERAL} + coalesce(located.source, '') AS homeKey ORDER BY homeKey } AS homeKeys,
       COLLECT { MATCH (e)-[o:${T.OPERATES_IN}]->(d:${L.ChainSegment})
                 RETURN DISTINCT d.id + ${KEY_SEPARATOR_LITERAL} + coalesce(o.source, '') + ${KEY_SEPARATOR_LITERAL} + coalesce(o.role, '') AS roleKey
                 ORDER BY roleKey } AS operationRoles
  // The operations' keys without their roles: sorted, as the roles' keys are (the separator sorts below every
  // character), so a key is new exactly when it differs from the last one kept.
  WITH e, hosted, homeKeys, operationRoles,
       reduce(keys = [], key IN [roleKey IN operationRoles | ${withoutLastPart('roleKey')}] |
              CASE WHEN last(keys) = key THEN keys ELSE keys + key END) AS operationKeys
  WITH e, hosted, homeKeys, operationRoles, operationKeys, ${CAPABILITY_KEY_OF_E} AS capabilityKey,
       ${idsOfKeys('homeKeys')} AS homeIds, ${idsOfKeys('operationKeys')} AS segmentIds
  WITH e, hosted, homeKeys, operationRoles, operationKeys, capabilityKey, homeIds, segmentIds,
       ${LINK_FACTS}
  FOREACH (_ IN CASE WHEN e.rankLinkFacts IS NULL OR e.rankLinkFacts <> linkFacts
                          OR e.rankHomeIds IS NULL OR e.rankHomeIds <> homeIds
                          OR e.rankHomeKeys IS NULL OR e.rankHomeKeys <> homeKeys
                          OR e.rankSegmentIds IS NULL OR e.rankSegmentIds <> segmentIds
                          OR e.rankOperationKeys IS NULL OR e.rankOperationKeys <> operationKeys
                          OR e.rankOperationRoles IS NULL OR e.rankOperationRoles <> operationRoles
                          OR e.rankCapabilityKey IS NULL OR e.rankCapabilityKey <> capabilityKey THEN [1] ELSE [] END |
    SET e.rankHomeIds = homeIds, e.rankHomeKeys = homeKeys, e.rankSegmentIds = segmentIds,
        e.rankOperationKeys = operationKeys, e.rankOperationRoles = operationRoles, e.rankCapabilityKey = capabilityKey,
        e.rankLinkFacts = linkFacts)
  // What a walk row tells of its firm besides its order (walkPart): its home and its segments, after its id.
  WITH e, head(homeIds) AS homeId, capabilityKey,
       ${KEY_SEPARATOR_LITERAL} + coalesce(head(homeIds), '')
         + reduce(tail = '', segmentId IN segmentIds | tail + ${KEY_SEPARATOR_LITERAL} + segmentId) AS rankKeyTail
  OPTIONAL MATCH (e)-[op:${T.OPERATES_IN}]->(d:${L.ChainSegment})
  WITH e, op, homeId, d.id AS segmentId,
       CASE WHEN op.role = 'CORE' THEN '0' ELSE '1' END
         + right('00000' + toString(${CAPABILITY_KEY_SCALE} - capabilityKey), ${RANK_KEY_DIGITS}) + '|' + e.id
         + rankKeyTail AS rankKey,
       d.id + ${KEY_SEPARATOR_LITERAL} + ${PROVENANCE_LANE_OF_OP} AS rankLane
  FOREACH (_ IN CASE WHEN op IS NOT NULL AND (op.rankSegmentId IS NULL OR op.rankSegmentId <> segmentId
                                              OR op.rankKey IS NULL OR op.rankKey <> rankKey
                                              OR op.rankLane IS NULL OR op.rankLane <> rankLane
                                              OR coalesce(op.rankHomeId, '') <> coalesce(homeId, '')) THEN [1] ELSE [] END |
    SET op.rankSegmentId = segmentId, op.rankKey = rankKey, op.rankLane = rankLane, op.rankHomeId = homeId)`;

/**
 * (Re)computes the stored rank keys of the given enterprises' operations, or of every enterprise (null). Idempotent:
 * only keys that changed are written. Run it for the enterprises touched by a write — an enterprise row (size,
 * flags), an OPERATES_IN row (role, new operation), a HOSTED_BY row (the platform's host; when a platform moves, the
 * old host too) — in the same transaction. Returns one row: `enterprises`, `operations` (seen, not changed).
 * The all-firms form is one plain statement (it reads every firm and writes only changes); for a first build at a
 * million firms use candidateRankBatchQuery, which keeps each transaction small.
 */
export function candidateRankQuery(enterpriseIds: readonly string[] | null): CypherQuery {
  const match =
    enterpriseIds === null
      ? `MATCH (e:${L.Enterprise})`
      : `UNWIND $ids AS id MATCH (e:${L.Enterprise} { id: id })`;
  return cypher(
    `${match}${RANK_BODY}
     RETURN count(DISTINCT e) AS enterprises, count(op) AS operations`,
    // In id order, as the writers lock firms (src/data/upsert.ts byText): it now writes the firms themselves too.
    enterpriseIds === null ? {} : { ids: [...new Set(enterpriseIds)].sort() },
  );
}

/**
 * One batch of a full rebuild: the `size` enterprises after `afterId` in id order (null: from the first), read from
 * the id index. Returns one row with `last`, the last id done (null when nothing was left): run it with
 * `afterId = last` until `last` is null. Each batch may run in its own transaction.
 */
export function candidateRankBatchQuery(afterId: string | null, size: number): CypherQuery {
  if (!Number.isInteger(size) || size < 1) throw new RangeError('size must be a positive whole number');
  return cypher(
    `MATCH (e:${L.Enterprise}) WHERE e.id > $after
     WITH e ORDER BY e.id LIMIT $size${RANK_BODY}
     RETURN max(e.id) AS last, count(op) AS operations`,
    // '' sorts before every id, so the first batch starts at the first firm.
    // LIMIT takes an integer; a JavaScript number would arrive as a float.
    { after: afterId ?? '', size: neo4j.int(size) },
  );
}

/**
 * What a rank key says of its firm besides its order (RANK_BODY): `0ccccc|id␟home␟segment␟segment…` — its id, its
 * home (null when it has none) and the ids of every segment it operates in, sorted. Ids and segment ids never hold
 * the separator, which sorts below every character they have, so keys sort by role, capability and then id exactly.
 */
export function rankKeyParts(rankKey: string): {
  id: string;
  homeId: string | null;
  segmentIds: string[] | null;
} {
  const [head = '', ...tail] = rankKey.split(KEY_SEPARATOR);
  const id = head.slice(head.indexOf('|') + 1);
  // A key without the tail (an older layout) says nothing of the firm: it is weighed as any firm could be.
  if (tail.length === 0) return { id, homeId: null, segmentIds: null };
  const [homeId = '', ...segmentIds] = tail;
  return { id, homeId: homeId === '' ? null : homeId, segmentIds };
}

/** The frontier a rank key stands for. */
export function frontierOf(rankKey: string): WalkFrontier {
  return {
    core: rankKey.startsWith('0'),
    capabilityKey: CAPABILITY_KEY_SCALE - Number(rankKey.slice(1, 1 + RANK_KEY_DIGITS)),
  };
}

/**
 * Cypher: what FIRM_SCORE_FACTS needs of firm `e`'s relationships, from ONE walk over them: [0] for each platform it
 * hosts with an admitted source, [1, home id] for each home, [2, segment id, role] for each operation in the scope
 * with an admitted source, null for anything else. A firm has too few relationships to have them grouped by type,
 * so each typed pattern walks all of them: the three patterns this replaces walked a firm's relationships three
 * times. It is walked only for a firm that keeps no keys (FIRM_SCORE_FACTS), so an operation's segment is tested by
 * its id rather than by identity against the scope's segments as nodes, which every statement would have to seek.
 */
const FIRM_SCORE_LINKS = `[(e)-[r:${T.HOSTED_BY}|${T.LOCATED_IN}|${T.OPERATES_IN}]-(n) |
         CASE type(r)
           WHEN '${T.HOSTED_BY}' THEN CASE WHEN endNode(r) = e AND n:${L.Platform} AND n.source IN $sources THEN [0] END
           WHEN '${T.LOCATED_IN}' THEN CASE WHEN startNode(r) = e AND n:${L.Region} THEN [1, n.id] END
           ELSE CASE WHEN startNode(r) = e AND n.id IN $scopeIds AND r.source IN $sources THEN [2, n.id, r.role] END
         END]`;

/** Cypher: the scope's segments as nodes (`scope`), for FIRM_DETAILS. */
const SCOPE_NODES = `COLLECT { MATCH (d:${L.ChainSegment}) WHERE d.id IN $scopeIds RETURN d } AS scope`;

/**
 * What the ranking reads of a candidate `e` while it walks (`$scopeIds` and `$sources` are parameters of the
 * statement): only what its score and its admission need, as a list — [id, source, size band, leading, high-tech,
 * platforms hosted, home ids, ownership, listed, operations as [segment id, role]] — with no names, products or map
 * keys. The walk and the linked read return the same facts, so a firm is admitted and scored alike whichever read
 * it. Most firms read are pruned at once; shipping each one's whole profile (FIRM_DETAILS) made a walk round's answer
 * 100–400 KB at 200,000 firms, and decoding it was most of the request's CPU in Node.
 *
 * The homes and the operations (segment, provenance, role) come from what the firm keeps (RANK_BODY), and its
 * platforms are walked only when its kept capability counts one (a firm's capability key is its size and flags plus
 * 750 for each platform, up to two): the relationships are walked (FIRM_SCORE_LINKS) only for a firm that keeps none
 * (a store whose keys are being built). Walking every firm's relationships cost the bench's six targetFirms draws at
 * 200,000 firms 1,546 of their 12,401 db hits a request.
 */
const FIRM_SCORE_FACTS = `head([kept IN [[e.rankOperationRoles, e.rankHomeIds, e.rankCapabilityKey]] |
       CASE WHEN kept[0] IS NULL OR kept[1] IS NULL OR kept[2] IS NULL THEN
         head([links IN [${FIRM_SCORE_LINKS}] | [
           e.id, e.source, e.sizeBand, coalesce(e.leading, false), coalesce(e.highTech, false),
           size([link IN links WHERE link[0] = 0]),
           [link IN links WHERE link[0] = 1 | link[1]],
           e.ownership, coalesce(e.listed, false) OR e.stockCode IS NOT NULL,
           [link IN links WHERE link[0] = 2 | [link[1], link[2]]]
         ]])
       ELSE [
         e.id, e.source, e.sizeBand, coalesce(e.leading, false), coalesce(e.highTech, false),
         CASE WHEN kept[2] > ${capabilityKeyOf('0')}
              THEN COUNT { (e)<-[:${T.HOSTED_BY}]-(platform:${L.Platform}) WHERE platform.source IN $sources }
              ELSE 0 END,
         kept[1],
         e.ownership, coalesce(e.listed, false) OR e.stockCode IS NOT NULL,
         [parts IN [roleKey IN kept[0] | split(roleKey, ${KEY_SEPARATOR_LITERAL})]
          WHERE parts[0] IN $scopeIds AND parts[1] IN $sources | [parts[0], CASE WHEN parts[2] <> '' THEN parts[2] END]]
       ] END])`;

/**
 * What a recommendation shows of a ranked firm (a map): FIRM_SCORE_FACTS with names, products and the profile, read
 * for the `first` firms ranked only.
 */
const FIRM_DETAILS = `{
       id: e.id, name: e.name, sizeBand: e.sizeBand, leading: coalesce(e.leading, false),
       highTech: coalesce(e.highTech, false), source: e.source,
       ownership: e.ownership, controller: e.controller, stockCode: e.stockCode, market: e.market,
       listed: coalesce(e.listed, false) OR e.stockCode IS NOT NULL, fortuneGlobal500: e.fortuneGlobal500,
       homeIds: [(e)-[:${T.LOCATED_IN}]->(home:${L.Region}) | home.id],
       platformsHosted: size([(e)<-[:${T.HOSTED_BY}]-(p:${L.Platform}) WHERE p.source IN $sources | p]),
       operations: [(e)-[o:${T.OPERATES_IN}]->(d) WHERE d IN scope AND o.source IN $sources |
                    { segmentId: d.id, segmentName: d.name, role: o.role, mainProducts: coalesce(o.mainProducts, []) }]
     }`;

/**
 * The firms with a direct supply link to the region — they supply a local firm (linkage SUPPLIES_LOCAL) or buy from
 * one (BUYS_FROM_LOCAL), under exactly readCandidateLinkage's conditions: for each, its linkage, source, homes and
 * capability key (CAPABILITY_KEY_OF_E), enough to bound its score without reading its facts (firmFactsQuery reads
 * those for the few whose bound can reach the top). Only firms with an operation in the gaps' segments are listed:
 * the others are no candidates, and for chengdu × integrated circuits at 200,000 firms they were most of the 11,937
 * linked firms, whose keys took 231,000 of the statement's 329,000 db hits and whose facts took five more
 * statements. Read before the walks: once every such firm is known, an unread firm's linkage is at most INDIRECT,
 * which is what lets the walks stop after a few rows (with linkage 1 assumed for every unread firm, a city's
 * biomedicine gaps at 200,000 firms needed some 16,000 index rows; with the linked firms known, 7).
 *
 * Its work is the supply links of the region's firms, so it is bounded twice: a region with more than `maxLocals`
 * firms (counted from the relationship degrees, no firm read) is not walked at all, nor is one whose located nodes
 * have `maxLinks` supply links or more (their degrees, summed, whatever their source; `links` is then that sum, else
 * the links read that reach a firm of the gaps' segments, or one without keys). The sum reads a degree per located
 * firm, so the firm bound (TARGET_LINK_FIRMS_LIMIT, a third of TARGET_LINK_LIMIT by default) is what keeps a refusal
 * cheap: a city of 49,190 firms at 200,000 took 62 ms to sum 295,927 links only to be refused; with about six supply
 * links a firm, more firms than that rarely have fewer links than the limit.
 * `complete` says whether every link was seen; only then may the caller lower the unread firms' linkage bound. A
 * firm's homes and its supply partners are read without checking their label: a firm's LOCATED_IN only ever ends at
 * a region and a SUPPLIES link only ever joins two enterprises (src/ingest/batches.ts), and each check cost a db hit
 * per firm or link (see HOSTED_BY_E).
 */
export function linkedCandidatesQuery(request: {
  readonly regionId: string;
  /** The gaps' segments: a linked firm that operates in none of them is no candidate and is left out. */
  readonly scopeIds: readonly string[];
  readonly sources: Sources;
  readonly maxLocals: number;
  readonly maxLinks: number;
  /** Each firm's place in the order the firms are shipped in, by linkedOrderCode (linkedOrder); none: any order. */
  readonly order?: Readonly<Record<string, number>>;
  /** The most firms shipped, the first in that order (`linkedFirms` says how many there are); null: all. */
  readonly limit?: number | null;
}): CypherQuery {
  if (
    request.limit !== undefined &&
    request.limit !== null &&
    !(Number.isInteger(request.limit) && request.limit >= 0)
  )
    throw new RangeError('limit must be a whole number ≥ 0 or null');
  return cypher(
    `MATCH (region:${L.Region} { id: $regionId })
     WITH COLLECT { MATCH (sub:${L.Region})-[:${T.PART_OF}*0..${MAX_REGION_DEPTH}]->(region) RETURN sub } AS regions
     WITH regions, reduce(n = 0, x IN regions | n + COUNT { (x)<-[:${T.LOCATED_IN}]-() }) AS locals
     OPTIONAL CALL (regions, locals) {
       WITH regions WHERE locals <= $maxLocals
       // The supply degree of everything located in the region bounds the links the walk would read (a link between
       // two local firms is read from both ends and counted twice, alike): over the limit, none is read. It reads a
       // degree per located node and no property or label: a platform has no supply link, and a firm of a source the
       // filter leaves out only raises the bound. Reading each firm's label and source first tripled the cost of a
       // refusal (a prefecture of 49,190 firms at 200,000: 108 ms, 64 without). The located nodes are kept for the
       // walk (at most maxLocals of them), which would otherwise walk every region's located nodes again.
       CALL (regions) {
         UNWIND regions AS x
         MATCH (x)<-[:${T.LOCATED_IN}]-(l)
         RETURN sum(COUNT { (l)-[:${T.SUPPLIES}]-() }) AS degree, collect(l) AS located
       }
       CALL (located, degree) {
         WITH located WHERE degree < $maxLinks
         UNWIND located AS l
         WITH l WHERE l:${L.Enterprise} AND l.source IN $sources
         MATCH (l)-[s:${T.SUPPLIES}]-(e)
         // The far firm first: most linked firms work in other chains, and what it keeps for this read
         // (rankLinkFacts, LINK_FACTS: its operations' segments and sources among them) rules it out with one read,
         // before the link's source is read (CASE: in that order). A firm without them (a store whose keys are being
         // built) is kept, and walked below. The gaps' segments it operates in with the sources asked for (null
         // without the facts) and the facts themselves go with the link to the end.
         WITH s, e, e.rankLinkFacts AS kept
         WITH s, e, kept, [key IN kept WHERE $scopeKeys[key] IS NOT NULL | $scopeKeys[key]] AS segmentIds
         WHERE CASE WHEN kept IS NULL OR size(segmentIds) > 0 THEN s.source IN $sources ELSE false END
         RETURN count(*) AS walked, collect({ e: e, out: startNode(s) = e, kept: kept, segmentIds: segmentIds }) AS seen
       }
       RETURN CASE WHEN degree < $maxLinks THEN walked ELSE degree END AS links, seen
     }
     WITH locals, coalesce(links, 0) AS links, coalesce(seen, []) AS seen
     UNWIND (CASE WHEN size(seen) = 0 THEN [null] ELSE seen END) AS link
     // A firm's facts are the same on each of its links: grouped by, they stay with it.
     WITH locals, links, link.e AS e, link.kept AS kept, link.segmentIds AS segmentIds,
          max(CASE WHEN link.out THEN ${LINKAGE_VALUE.SUPPLIES_LOCAL} ELSE ${LINKAGE_VALUE.BUYS_FROM_LOCAL} END) AS linkage
     // A linked firm outside the gaps' segments (one without kept facts whose walked operations miss them) becomes
     // null rather than being filtered out: with no firm left, the one row (complete, links) must still come back.
     // Kept facts decide most firms (a city at a million firms with 31,803 linked firms: 648,107 db hits for the read
     // walking every firm's operations, 383,885 with the segments kept and the sources of the firms in them walked,
     // 242,238 with both kept; the five cities of bench/analyticsProbe.ts alone, 1,339 → 803 ms with the capability
     // and homes kept too, and 221 → 152 ms at 200,000 firms), and only a firm without them is walked: its
     // operations, its platforms (capability) and, if shipped, its homes.
     WITH locals, links, linkage, segmentIds, kept,
          CASE WHEN kept IS NOT NULL THEN CASE WHEN size(segmentIds) > 0 THEN e END
               WHEN EXISTS { (e)-[o:${T.OPERATES_IN}]->(d) WHERE d.id IN $scopeIds AND o.source IN $sources } THEN e END AS e
     WITH locals, links, e, linkage, segmentIds, kept,
          CASE WHEN kept IS NOT NULL THEN toInteger(kept[2]) ELSE ${capabilityKeyOf(HOSTED_BY_E)} END AS capability
     // Best bound first (linkedOrder: a firm's place from its linkage and capability; one the order does not know
     // comes first). A firm that is no candidate (null) sorts last and is not collected.
     ORDER BY CASE WHEN e IS NULL THEN null
                   ELSE coalesce($order[toString(${linkedOrderCode('linkage', 'capability')})], -1) END
     WITH locals, links, collect(CASE WHEN e IS NOT NULL THEN [e, linkage, capability, segmentIds, kept] END) AS found
     WITH locals, links, found, CASE WHEN $limit IS NULL THEN found ELSE found[0..$limit] END AS shipped
     UNWIND (CASE WHEN size(shipped) = 0 THEN [null] ELSE shipped END) AS firm
     WITH locals, links, found, shipped, firm[0] AS e, firm[1] AS linkage, firm[2] AS capability,
          firm[3] AS segmentIds, firm[4] AS kept
     RETURN locals <= $maxLocals AND links < $maxLinks AS complete, links, size(found) AS linkedFirms,
            // The first firm left out, as [linkage, capability]: every firm left out has a bound no higher than its.
            CASE WHEN size(found) > size(shipped) THEN found[size(shipped)][1..3] END AS nextLeftOut,
            // A shipped firm's id, source and homes from its kept facts (LINK_FACTS), read from the firm without them.
            collect(CASE WHEN e IS NULL THEN null
              WHEN kept IS NOT NULL THEN
                [kept[0], CASE WHEN kept[1] <> '' THEN kept[1] END, linkage, capability,
                 kept[4..4 + toInteger(kept[3])], segmentIds]
              ELSE [e.id, e.source, linkage, capability, [(e)-[:${T.LOCATED_IN}]->(home) | home.id], segmentIds]
            END) AS firms`,
    {
      regionId: request.regionId,
      scopeIds: [...new Set(request.scopeIds)],
      // A map, not a list: 'key IN $list' compares with each entry in turn, and with a city's 31,803 linked firms at a
      // million and 108 keys (36 segments × 3 sources) that was 40 % of the statement (five cities alone: 1,343 ms
      // against 812 ms with the map). Each key maps to its segment's id.
      scopeKeys: Object.fromEntries(
        [...new Set(request.scopeIds)].flatMap((segmentId) =>
          operationKeys([segmentId], request.sources).map((key) => [key, segmentId]),
        ),
      ),
      sources: request.sources,
      maxLocals: neo4j.int(request.maxLocals),
      maxLinks: neo4j.int(request.maxLinks),
      order: request.order ?? {},
      limit: request.limit === undefined || request.limit === null ? null : neo4j.int(request.limit),
    },
  );
}

/**
 * The facts of the listed firms: what scoring needs (FIRM_SCORE_FACTS), or with `details` what a recommendation
 * shows (FIRM_DETAILS); firms not found are left out.
 */
export function firmFactsQuery(request: {
  readonly ids: readonly string[];
  readonly scopeIds: readonly string[];
  readonly sources: Sources;
  readonly details?: boolean;
  /**
   * Subqueries run first (each returning one row), their columns returned beside `firms`: a hydration of the firms,
   * the next round of the walks (walkPart), the linkage of the listed firms (candidateLinkagePart, which reads `$ids`
   * and `$sources` as these facts do). Their other parameters must not be named ids, scopeIds or sources.
   */
  readonly part?: StatementPart | null;
}): CypherQuery {
  const part = request.part ?? null;
  const details = request.details === true;
  const carried = part === null ? '' : part.columns.map((column) => `${column}, `).join('');
  const returned = part === null ? '' : part.columns.map((column) => `, ${column}`).join('');
  // The firms in a COLLECT subquery: one row whichever of them are found, so that the part's columns always return.
  // Only the details read the scope's segments as nodes.
  return cypher(
    `${part === null ? '' : `${part.query.cypher}\n`}${details ? `WITH ${carried}${SCOPE_NODES}\n` : ''}
     RETURN COLLECT {
       UNWIND $ids AS id
       MATCH (e:${L.Enterprise} { id: id })
       RETURN ${details ? FIRM_DETAILS : FIRM_SCORE_FACTS}
     } AS firms${returned}`,
    {
      ...(part === null ? {} : part.query.params),
      ids: request.ids,
      scopeIds: request.scopeIds,
      sources: request.sources,
    },
  );
}

/**
 * One round of the walks: the next `size` operations of each listed segment in rank order, read from the
 * relationship index (index order, no sort: see targetRanking.test.ts). `walked` holds, per walk read, [its index in
 * `lists`, the last rank key read, the rows read, the rows whose capability key (as the rank key holds it) is at
 * least the list's `minCapabilityKey` (0: every row), each its rank key, which holds the firm's id, home and segments
 * (rankKeyParts)]: all the caller needs to move the walk on and to choose, by each firm's best score where it lies
 * and with the gaps its segments fill, whose facts to read (firmFactsQuery). The index rows are all it reads; the
 * filters (provenance, region) are the caller's, on the facts.
 */
export function walkQuery(request: WalkRound): CypherQuery {
  const part = walkPart(request);
  return cypher(`${part.query.cypher}\nRETURN walked`, part.query.params);
}

/** A round of the walks: what walkQuery reads. */
export interface WalkRound {
  /**
   * Each walk: its segment, the range of rank keys still to read (after `after` and before `before`), and the least
   * capability key (the rank key's) of the rows to return (0 when left out: every row); rows below it are only counted.
   * With `provenance` (every list of the round, or none), only the segment's operations of that provenance lane
   * (provenanceLanes).
   */
  readonly lists: readonly {
    segmentId: string;
    provenance?: string;
    after: string;
    before: string;
    minCapabilityKey?: number;
  }[];
  readonly size: number;
}

/** walkQuery as a subquery (column `walked`), to go out with the facts of the firms the last round chose. */
export function walkPart(request: WalkRound): StatementPart {
  const inLanes = request.lists.filter((list) => list.provenance !== undefined).length;
  if (inLanes !== 0 && inLanes !== request.lists.length)
    throw new RangeError('a round walks every list by provenance lane or none');
  // The index the round seeks (migrations.ts): a segment's operations, or one provenance lane of them.
  const indexed = inLanes === 0 ? 'rankSegmentId' : 'rankLane';
  return {
    query: cypher(
      `CALL {
         UNWIND range(0, size($lists) - 1) AS index
         WITH index, $lists[index] AS list
         CALL {
           WITH list
           MATCH ()-[op:${T.OPERATES_IN}]->()
           WHERE op.${indexed} = list[0] AND op.rankKey > list[1] AND op.rankKey < list[2]
           RETURN op ORDER BY op.${indexed}, op.rankKey LIMIT $size
         }
         WITH index, op, ${CAPABILITY_KEY_SCALE} - toInteger(substring(op.rankKey, 1, ${RANK_KEY_DIGITS})) >= list[3] AS wanted
         // collect leaves out the nulls: a row below the capability wanted moves the walk on but is not returned. The
         // key alone says all a row is weighed by (rankKeyParts): neither the operation nor the firm is read.
         WITH index, max(op.rankKey) AS last, count(op) AS rows,
              collect(CASE WHEN wanted THEN op.rankKey END) AS found
         RETURN collect([index, last, rows, found]) AS walked
       }`,
      {
        // [segment id (and lane), after, before, least capability]: as maps, each walk's list repeated the keys in every
        // statement.
        lists: request.lists.map((list) => [
          list.provenance === undefined
            ? list.segmentId
            : `${list.segmentId}${KEY_SEPARATOR}${list.provenance}`,
          list.after,
          list.before,
          neo4j.int(list.minCapabilityKey ?? 0),
        ]),
        size: neo4j.int(request.size),
      },
    ),
    columns: ['walked'],
  };
}

/** Every region with its parent and coordinates (thousands at most), enough to place any firm. */
type RegionIndex = Map<string, { parentId: string | null; lat: number | null; lon: number | null }>;

async function readRegionIndex(executor: Executor, operation = 'region-index'): Promise<RegionIndex> {
  const rows = await executor.read(
    operation,
    cypher(
      `MATCH (r:${L.Region})
       RETURN r.id AS id, r.lat AS lat, r.lon AS lon, [(r)-[:${T.PART_OF}]->(p:${L.Region}) | p.id][0] AS parentId`,
    ),
  );
  return new Map(
    rows.map((row) => [
      String(row['id']),
      {
        parentId: (row['parentId'] as string | null) ?? null,
        lat: (row['lat'] as number | null) ?? null,
        lon: (row['lon'] as number | null) ?? null,
      },
    ]),
  );
}

/** Where a firm's home lies as the ranking sees it: in a priority region or not, and how far from the target. */
interface Place {
  readonly inPriorityRegion: boolean;
  readonly distanceKm: number | null;
}

/** The placement of homes for one target region and set of priority regions, over one region index. */
interface Placement {
  /** The home's place (placeOf), computed once per region. */
  readonly placeOf: (regionId: string) => Place;
  /** The region is the target region or lies under it. */
  readonly inside: (regionId: string) => boolean;
  /** The best proximity an outside firm can have: its home is one of the regions outside the target's subtree. */
  readonly maxProximity: number;
}

/**
 * The placements asked for, per region index, at most PLACEMENTS_KEPT of them (the oldest asked for is dropped). A
 * placement depends on the index, the target region and the priority regions only, and a request asks it for the
 * home of every firm it reads — a thousand-odd a request at 200,000 firms, each a walk up the tree at first: kept per
 * request, those walks and the pass over every region for maxProximity were a tenth of a targetFirms request's CPU
 * in Node. An index is replaced, not changed, when the regions change (the structure cache), so a placement never
 * outlives the regions it was computed from. Each placement keeps one entry per home id it was asked for: the
 * regions of its index, and a home a firm names that the index does not know (a region written since the index was
 * built), which the next structure version's index replaces.
 */
const placementMemo = new WeakMap<RegionIndex, Map<string, Placement>>();
const PLACEMENTS_KEPT = 64;

function placementFor(regionId: string, priority: ReadonlySet<string>, regions: RegionIndex): Placement {
  const key = `${regionId}\u0000${[...priority].sort().join('\u0000')}`;
  const kept = placementMemo.get(regions) ?? new Map<string, Placement>();
  placementMemo.set(regions, kept);
  const known = kept.get(key);
  if (known !== undefined) {
    // Asked for again: it becomes the newest.
    kept.delete(key);
    kept.set(key, known);
    return known;
  }
  const home = new Set([regionId]);
  const origin = positionOf(regionId, regions);
  const places = new Map<string, Place>();
  const placeOf = (homeId: string): Place => {
    const found = places.get(homeId);
    if (found !== undefined) return found;
    const position = positionOf(homeId, regions);
    const place = {
      inPriorityRegion: isWithin(homeId, priority, regions),
      distanceKm: origin && position ? Math.round(haversineKm(origin, position) * 10) / 10 : null,
    };
    places.set(homeId, place);
    return place;
  };
  const insideMemo = new Map<string, boolean>();
  const inside = (homeId: string) => {
    const found = insideMemo.get(homeId);
    if (found !== undefined) return found;
    const within = isWithin(homeId, home, regions);
    insideMemo.set(homeId, within);
    return within;
  };
  let maxProximity = 0;
  for (const other of regions.keys()) {
    if (inside(other)) continue;
    const place = placeOf(other);
    maxProximity = Math.max(maxProximity, proximityValue(place.inPriorityRegion, place.distanceKm));
  }
  const placement = { placeOf, inside, maxProximity };
  if (kept.size >= PLACEMENTS_KEPT) kept.delete(kept.keys().next().value!);
  kept.set(key, placement);
  return placement;
}

/** The region's own coordinates, or its nearest ancestor's. */
function positionOf(regionId: string, regions: RegionIndex): { lat: number; lon: number } | null {
  for (
    let current: string | null = regionId, steps = 0;
    current !== null && steps <= MAX_REGION_DEPTH;
    steps += 1
  ) {
    const region = regions.get(current);
    if (!region) return null;
    if (region.lat !== null && region.lon !== null) return { lat: region.lat, lon: region.lon };
    current = region.parentId;
  }
  return null;
}

/** The region is one of the ancestors, or lies under one within MAX_REGION_DEPTH steps. */
function isWithin(regionId: string, ancestors: ReadonlySet<string>, regions: RegionIndex): boolean {
  for (
    let current: string | null = regionId, steps = 0;
    current !== null && steps <= MAX_REGION_DEPTH;
    steps += 1
  ) {
    if (ancestors.has(current)) return true;
    current = regions.get(current)?.parentId ?? null;
  }
  return false;
}

/**
 * Which candidates a request admits besides the gaps' own rule (issue 15): applied to each firm as the walk reads it,
 * like the provenance filter, so the answer is the top `first` of the admitted firms and the bound on unread firms
 * stays valid (a filter only removes firms).
 */
export interface CandidateFilter {
  /** Only firms with one of these ownership types (a firm whose ownership is not published is left out); null: all. */
  readonly ownership: readonly string[] | null;
  /** Only listed firms (the listed flag, or a stock code). */
  readonly listedOnly: boolean;
}

/** What a recommendation shows of a firm besides its score, and what the eligibility rule reads. */
export interface CandidateProfile {
  readonly ownership: string | null;
  readonly controller: string | null;
  readonly stockCode: string | null;
  readonly market: string | null;
  readonly listed: boolean;
  readonly fortuneGlobal500: boolean | null;
  readonly sizeBand: string;
  /** Its home region outside the target region and every region above it. */
  readonly regionIds: readonly string[];
}

/** The firm passes the filter. */
export function admitted(
  profile: Pick<CandidateProfile, 'ownership' | 'listed'>,
  filter: CandidateFilter | undefined,
): boolean {
  if (filter === undefined) return true;
  if (filter.listedOnly && !profile.listed) return false;
  return (
    filter.ownership === null || (profile.ownership !== null && filter.ownership.includes(profile.ownership))
  );
}

export interface RankedCandidatesRequest<Details = unknown> {
  readonly regionId: string;
  /** Every segment in the scope of a gap, mapped to the gap segment it belongs to. */
  readonly scopeToGap: ReadonlyMap<string, string>;
  readonly gaps: ReadonlyMap<string, GapInScope>;
  readonly weights: TargetWeights;
  readonly first: number;
  readonly sources: Sources;
  readonly priorityRegionIds: readonly string[];
  /** The most index rows the walk may read before the request is refused. */
  readonly scanLimit: number;
  /** Rows per segment in the first round (FIRST_WALK_PAGE); tests set it small to walk in many rounds. */
  readonly firstPage?: number;
  /**
   * Bounds of the linked read (linkedCandidatesQuery): the most firms the region may have, and the most supply links
   * of them read, for it to run (TARGET_LINK_LIMIT). Tests set them small to see the walk without it.
   */
  readonly linkedLimits: { readonly maxLocals: number; readonly maxLinks: number };
  /** Linked firms the first linked read ships (linkedPageFor); tests set it small to see the second read. */
  readonly linkedPage?: number;
  /**
   * At least the most segments any firm operates in (AggregateState.maxOperations), which bounds how many gaps an
   * unread firm can fill; null when not known (then only the gaps still walked bound it).
   */
  readonly maxOperations?: number | null;
  /** This process's structure cache, under the structure version the request saw: the region index comes from it. */
  readonly structures?: CachedStructures;
  /** Ownership and listing filters (none: every candidate). */
  readonly filter?: CandidateFilter;
  /**
   * Whether the ranked firms come with their explanations and evidence (default true). Without them the ranked
   * firms' supply links are not listed: every score and factor value is the same, the linkage value being the one
   * read for the ranking (readCandidateLinkage), and only the words and the evidence paths are left empty. Listing
   * the links of the ten firms ranked was a fifth of a city's ranking in db hits at 200,000 firms (12,774 of 59,000
   * on average over the bench's six cities, 30,314 for the heaviest): the firms that rank first are the large ones,
   * with the most links, and the indirect ones are found only by walking every two-step path.
   */
  readonly explain?: boolean;
  /**
   * Something more to read of the ranked firms, given their ids, in the statement that reads their details (a
   * hydration of those firms for the client's selection, src/data/graph/hydrate.ts hydrationPart): the caller would
   * otherwise read the same firms again in a statement of its own. What `read` makes of that statement's row comes
   * back as `details`.
   */
  readonly details?: (ids: readonly string[]) => DetailsPart<Details>;
  /**
   * A CALL returning the rank index version as the column named (aggregates.ts rankIndexVersionSubquery), read with the
   * first round of the walks: the walks a ranking found empty under one version are left out by the next rankings
   * under the same one (EmptyWalks). None: every walk is read.
   */
  readonly rankIndexVersion?: (column: string) => string;
}

/** Subqueries for the details statement (none: nothing to read) and what to make of its row. */
export interface DetailsPart<Details> {
  readonly part: StatementPart | null;
  readonly read: (row: Record<string, unknown> | undefined) => Details;
}

/** CALL subqueries (each returning one row) to put before a statement's RETURN, and the columns they add to it. */
export interface StatementPart {
  readonly query: CypherQuery;
  readonly columns: readonly string[];
}

/**
 * The linked read (linkedCandidatesQuery) with the first round of the walks (walkPart, column `walked`) in one
 * statement: the linked read as an OPTIONAL CALL, so that the round's row comes back even when it finds no region (its
 * columns are then null). With `rankIndexVersion`, the rank index version is read before the round's seeks
 * (`rankIndexVersion`) and after them (`rankIndexVersionAfter`): a statement reads committed data as it goes, so a
 * refresh that commits between the two is seen, and what the round found empty is remembered only when both agree
 * (EmptyWalks). The subqueries run in the order written, one row each.
 */
function linkedWithFirstRound(
  linked: CypherQuery,
  round: WalkRound,
  rankIndexVersion: ((column: string) => string) | undefined,
): CypherQuery {
  const walk = walkPart(round);
  return cypher(
    `${rankIndexVersion?.('rankIndexVersion') ?? ''}
     ${walk.query.cypher}
     ${rankIndexVersion?.('rankIndexVersionAfter') ?? ''}
     OPTIONAL CALL {
       ${linked.cypher}
     }
     RETURN complete, links, linkedFirms, nextLeftOut, firms, walked${
       rankIndexVersion === undefined ? '' : ', rankIndexVersion, rankIndexVersionAfter'
     }`,
    { ...linked.params, ...walk.query.params },
  );
}

/** The parts given, one after the other, as one part (null when none is given). */
export function joinParts(parts: readonly (StatementPart | null)[]): StatementPart | null {
  const given = parts.filter((part): part is StatementPart => part !== null);
  if (given.length <= 1) return given[0] ?? null;
  return {
    query: cypher(
      given.map((part) => part.query.cypher).join('\n'),
      Object.assign({}, ...given.map((part) => part.query.params)) as Record<string, unknown>,
    ),
    columns: given.flatMap((part) => part.columns),
  };
}

export interface RankedCandidates<Details = unknown> {
  readonly ranked: TargetRecommendation[];
  /** What the request's `details` read in the details statement; undefined when no firm was ranked. */
  readonly details: Details | undefined;
  /** The profile of each ranked firm. */
  readonly profiles: ReadonlyMap<string, CandidateProfile>;
  /** What the walk did, for tests and logs. */
  readonly stats: {
    rounds: number;
    rowsRead: number;
    candidatesScored: number;
    /** Firms whose linkage factor was read (readCandidateLinkage). */
    linkageRead: number;
    /** Supply links of the region's firms read by the linked read (0 when it did not run). */
    linkedLinks: number;
    /** Whether the linked read saw every link, so that unread firms' linkage was bounded by INDIRECT. */
    linkedComplete: boolean;
    /** Linked firms whose facts were read (firmFactsQuery). */
    linkedRead: number;
    /** Linked reads run: 1, or 2 when firms the first left out could still reach the top. */
    linkedReads: number;
    /** Linked firms shipped to the ranking by the linked reads (each counted once). */
    linkedShipped: number;
    /** Firms whose supply links were listed (readCandidateLinks): the ones ranked. */
    linksRead: number;
    /**
     * Firms whose facts the walks read: those of the rows read whose capability, from where they lie, could still
     * reach the top (walkQuery's minCapabilityKey, then worthReading), each once.
     */
    walkFirmsRead: number;
    /** Rows the walks read whose firm was left unread: its capability, from where it lies, could not reach the top. */
    walkRowsSkipped: number;
    /** Walks left out of the first round as found empty by an earlier ranking under the same version (EmptyWalks). */
    walksSkipped: number;
    /** Chosen firms whose facts waited for a later round, no first-th best being known yet (each time it waited). */
    factsDeferred: number;
  };
}

/**
 * A firm as linkedCandidatesQuery returns it: [id, source, linkage, capability key, home ids, the ids of the gaps'
 * segments it operates in (null when it keeps no operation keys)].
 */
type LinkedFirmRow = [string, string, number, number, string[], string[] | null];

/**
 * A firm as FIRM_SCORE_FACTS returns it: id, source, size band, leading, high-tech, platforms hosted, home ids,
 * ownership, listed, operations in scope as [segment id, role].
 */
type FirmScoreRow = [
  string,
  string,
  string,
  boolean,
  boolean,
  number,
  string[],
  string | null,
  boolean,
  [string, string][],
];

/** A firm as FIRM_DETAILS returns it. */
interface FirmRow {
  id: string;
  name: string;
  sizeBand: string;
  leading: boolean;
  highTech: boolean;
  source: string;
  homeIds: string[];
  platformsHosted: number;
  ownership: string | null;
  controller: string | null;
  stockCode: string | null;
  market: string | null;
  listed: boolean;
  fortuneGlobal500: boolean | null;
  operations: { segmentId: string; segmentName: string; role: string; mainProducts: string[] }[];
}

interface Walk {
  readonly segmentId: string;
  readonly gapId: string;
  /**
   * Core roles and the others are walked apart, each best capability first, so that neither lane's bound is held up
   * by the other's (a capability-only ranking would otherwise read every core firm before any bound fell).
   */
  readonly lane: 'core' | 'other';
  /** The provenance lane walked (provenanceLanes); undefined: the segment's firms whatever their provenance. */
  readonly provenance: string | undefined;
  after: string;
  frontier: WalkFrontier | null;
  exhausted: boolean;
}

/**
 * The walks (a segment, a provenance lane, a role) rankings found empty from their start, under the rank index version
 * read with them (aggregates.ts rankIndexVersionSubquery), kept in the process's structure cache
 * (TARGET_EMPTY_WALKS_KEY). A ranking under the same version leaves them out of its first round: a real-data ranking (PLAN and PUBLIC) walks each
 * gap segment's three provenance lanes in two roles, 216 index ranges for a city's biomedicine gaps, of which 176 are
 * empty in the bench's province (illustrative firms in the main), and seeking them all was a third of that round's
 * cost (3.3 against 2.0 ms of Neo4j's CPU at 200,000 firms). The version is read again with the round that leaves them
 * out: when it moved, they are walked in the next round (no row enters a range before the version moves, see
 * rankIndexVersionSubquery). Bounded: the ranges are the segments × lanes × two roles.
 */
interface EmptyWalks {
  version: string | null;
  empty: Set<string>;
}
const TARGET_EMPTY_WALKS_KEY = 'target-empty-walks';
/** Past this many ranges remembered (a store whose segments keep changing), the set starts afresh. */
const EMPTY_WALKS_KEPT = 50_000;
/** A walk's range as EmptyWalks remembers it: its segment, its provenance lane and its role. */
const rangeOf = (walk: Pick<Walk, 'segmentId' | 'provenance' | 'lane'>) =>
  `${walk.segmentId}\u0000${walk.provenance ?? ''}\u0000${walk.lane}`;

/**
 * Remembers, under the rank index version a round read, the walks of that round (`active`, in its lists' order)
 * that read no row from their start (a walk read from its start has no frontier yet): `walked` has a row for each
 * list that read one (walkPart).
 */
function learnEmptyWalks(
  known: EmptyWalks,
  version: string,
  active: readonly Walk[],
  walked: readonly [number, ...unknown[]][] | undefined,
): void {
  if (known.version !== version || known.empty.size > EMPTY_WALKS_KEPT) {
    known.version = version;
    known.empty = new Set();
  }
  const withRows = new Set((walked ?? []).map(([list]) => Number(list)));
  for (const [index, walk] of active.entries())
    if (walk.frontier === null && !withRows.has(index)) known.empty.add(rangeOf(walk));
}

/** What a walk row says of its firm: all worthReading weighs before the firm's facts are read. */
interface WalkedFirm {
  readonly rankKey: string;
  /** The firm's home (as its rank key holds it, rankKeyParts); null when it has none. */
  readonly homeId: string | null;
  /** The role (core or not) and gap score of the operation the row was read by: the walk's. */
  readonly core: boolean;
  readonly gapScore: number;
  /** The breadth of the gaps the firm's kept segments fill (gapsFilledBy). */
  readonly breadth: number;
}

/**
 * A recommendation scored without its links (explain false), given the linkage value read for its firm: the same
 * score and factor values as scoring it with its links listed (scoreWithLinkage, readCandidateLinkage's values are
 * LINKAGE_VALUE's), and no words for the linkage, which its links would give.
 */
function withKnownLinkage(
  recommendation: TargetRecommendation,
  linkageOf: ReadonlyMap<string, number>,
  weights: TargetWeights,
): TargetRecommendation {
  // A firm removed since it was read has no linkage left to read: it has none.
  const linkage = linkageOf.get(recommendation.candidate.id) ?? 0;
  return {
    ...recommendation,
    score: scoreWithLinkage(recommendation, linkage, weights),
    factors: recommendation.factors.map((factor) =>
      factor.name === 'LINKAGE' ? { ...factor, value: linkage, explanation: '' } : factor,
    ),
  };
}

function tooComplex(scanLimit: number, rowsRead: number): AppError {
  return new AppError(
    ErrorCode.QUERY_TOO_COMPLEX,
    `targetFirms could not settle the top candidates within ${scanLimit} candidate rows (read ${rowsRead}): too ` +
      'many outside firms score alike. Narrow it with segmentId, a smaller first, sources, or weights that ' +
      'separate firms more (fit, capability); the limit is TARGET_SCAN_LIMIT',
    { limit: 'TARGET_SCAN_LIMIT' },
  );
}

/**
 * The top `first` target firms, exactly as rankCandidates over every outside firm of the gaps' segments (with its
 * supply links) would rank them, ties by id. Threshold algorithm: each scope segment's firms are walked best-first
 * from the index; each read firm is scored without linkage (a lower bound of its score), and every read firm that
 * could still reach the top gets its linkage factor read (readCandidateLinkage, a few index rows a firm), which gives
 * its exact score, so the first-th best is exact among the firms read. A walk stops when no unread firm of it could
 * beat the first-th best (unseenBound: fit of its role, capability at the walk's frontier, linkage 1, the best
 * proximity of any outside region, breadth of the gaps still walked) or only tie it with a larger id. The top
 * `first` then get their links listed, for the linkage factor's explanation and evidence.
 */
export async function readRankedCandidates<Details = unknown>(
  executor: Executor,
  request: RankedCandidatesRequest<Details>,
): Promise<RankedCandidates<Details>> {
  const stats = {
    rounds: 0,
    rowsRead: 0,
    candidatesScored: 0,
    linkageRead: 0,
    linksRead: 0,
    linkedLinks: 0,
    linkedComplete: false,
    linkedRead: 0,
    linkedReads: 0,
    linkedShipped: 0,
    walkFirmsRead: 0,
    walkRowsSkipped: 0,
    walksSkipped: 0,
    factsDeferred: 0,
  };
  if (request.first === 0 || request.gaps.size === 0 || request.scopeToGap.size === 0) {
    return { ranked: [], profiles: new Map(), stats, details: undefined };
  }
  const regions = request.structures
    ? await request.structures('region-index', readRegionIndex)
    : await readRegionIndex(executor);
  const priority = new Set(request.priorityRegionIds);
  const { placeOf, inside, maxProximity } = placementFor(request.regionId, priority, regions);

  // Rank keys start with '0' for a core role and '1' otherwise: the core lane starts before '0', the other at '1'.
  // A provenance filter that leaves a source out walks each lane of the sources it lists apart (provenanceLanes).
  const provenances = provenanceLanes(request.sources) ?? [undefined];
  const walks: Walk[] = [...request.scopeToGap]
    .flatMap(([segmentId, gapId]) =>
      provenances.flatMap((provenance) =>
        (['core', 'other'] as const).map((lane) => ({
          segmentId,
          gapId,
          lane,
          provenance,
          after: lane === 'core' ? '' : '1',
          frontier: null,
          exhausted: false,
        })),
      ),
    )
    .sort((a, b) => (a.segmentId < b.segmentId ? -1 : a.segmentId > b.segmentId ? 1 : 0));
  // Each segment once (it has two walks or more, one per lane): the list goes with every statement of the request.
  const scopeIds = [...new Set(walks.map((walk) => walk.segmentId))];
  // The walks an earlier ranking found empty under the rank index version it read (EmptyWalks) wait, as if
  // exhausted, until the first round of the walks (with the linked read) reads the version again: walked from the
  // round after if it moved.
  const emptyWalks =
    request.rankIndexVersion === undefined || request.structures === undefined
      ? undefined
      : await request.structures<EmptyWalks>(TARGET_EMPTY_WALKS_KEY, () =>
          Promise.resolve({ version: null, empty: new Set() }),
        );
  // Taken now: another request may start the set afresh under another version while this one runs.
  const rememberedVersion = emptyWalks?.version ?? null;
  const skipped =
    emptyWalks === undefined || rememberedVersion === null
      ? []
      : walks.filter((walk) => emptyWalks.empty.has(rangeOf(walk)));
  for (const walk of skipped) walk.exhausted = true;
  stats.walksSkipped = skipped.length;
  const read = new Set<string>();
  let candidates: CandidateFacts[] = [];
  /** The home (outside the region) of each admitted firm. */
  const homeOf = new Map<string, string>();
  /** The region and every region above it. */
  const ancestry = (regionId: string) => {
    const chain: string[] = [];
    for (
      let current: string | null = regionId;
      current !== null && chain.length <= MAX_REGION_DEPTH;
      current = regions.get(current)?.parentId ?? null
    )
      chain.push(current);
    return chain;
  };
  /** A candidate of the full ranking, its operations mapped to the gaps they fill, in segment order. */
  const candidateFrom = (
    firm: Pick<CandidateFacts, 'id' | 'name' | 'sizeBand' | 'leading' | 'highTech' | 'platformsHosted'>,
    operations: readonly Omit<CandidateFacts['operations'][number], 'gapSegmentId'>[],
    homeId: string,
  ): CandidateFacts => {
    // Built field by field, not by spreading: a request builds one for each of the thousand-odd firms it reads.
    const place = placeOf(homeId);
    return {
      id: firm.id,
      name: firm.name,
      sizeBand: firm.sizeBand,
      leading: firm.leading,
      highTech: firm.highTech,
      platformsHosted: firm.platformsHosted,
      operations: operations
        .map((operation) => ({
          segmentId: operation.segmentId,
          segmentName: operation.segmentName,
          role: operation.role,
          mainProducts: operation.mainProducts,
          gapSegmentId: request.scopeToGap.get(operation.segmentId) ?? operation.segmentId,
        }))
        .sort((a, b) => (a.segmentId < b.segmentId ? -1 : a.segmentId > b.segmentId ? 1 : 0)),
      suppliesLocal: [],
      buysFromLocal: [],
      indirect: [],
      inPriorityRegion: place.inPriorityRegion,
      distanceKm: place.distanceKm,
    };
  };
  // The linkage factor is read for the read firms that could reach the top (readCandidateLinkage): a firm with it
  // has its exact score, one without it a lower bound (linkage 0) and an upper bound (the linkage ceiling below).
  // The links themselves (the factor's explanation and evidence) are listed only for the firms finally ranked.
  const linkageOf = new Map<string, number>();
  /** The linkage of every firm with a direct link to the region, when the linked read saw them all. */
  const linkedLinkage = new Map<string, number>();
  const linksOf = new Map<string, Pick<CandidateFacts, 'suppliesLocal' | 'buysFromLocal' | 'indirect'>>();
  // Links are listed only for the firms finally ranked, so while the walk goes a candidate has none: it is then
  // returned as it is rather than copied (every candidate is rescored each round).
  const withLinks = (candidate: CandidateFacts): CandidateFacts => {
    const links = linksOf.get(candidate.id);
    return links === undefined ? candidate : { ...candidate, ...links };
  };
  const known = (recommendation: TargetRecommendation) => linkageOf.has(recommendation.candidate.id);
  // The most linkage a firm whose linkage is not known can have: 1, or INDIRECT once the linked read has read every
  // firm with a direct link (they all have their linkage known, so any other firm has at most an indirect one).
  let linkageCeiling: number = LINKAGE_VALUE.SUPPLIES_LOCAL;
  /**
   * Whether the linked read has listed every firm with a direct link to the region that could reach the top. A firm
   * whose linkage is then still unknown either has no direct link, or is a linked firm the read left unshipped, whose
   * bound was below the first-th best, which only rises: only its indirect link can matter, so only that is looked
   * for (readCandidateLinkage's indirectOnly). An underrated linked firm scores lower than it would, below the top
   * either way. (A shipped linked firm has its linkage from the read, and the walks never choose one they did not
   * read: its bound there, with INDIRECT linkage and its walk's fit, is below the one it was left unread by.)
   */
  const directLinksListed = () => linkageCeiling === LINKAGE_VALUE.INDIRECT;
  const upper = (recommendation: TargetRecommendation) =>
    known(recommendation)
      ? recommendation.score
      : scoreWithLinkage(recommendation, linkageCeiling, request.weights);
  // Linkage can still change this firm's score and its score could reach the top: read it. (With linkage weighing
  // nothing a score is exact without it, and only the firms finally listed need their links, for the evidence.)
  const wantsLinkage = (recommendation: TargetRecommendation) =>
    !known(recommendation) &&
    upper(recommendation) > recommendation.score &&
    upper(recommendation) >= kthBest;
  const byScore = (a: TargetRecommendation, b: TargetRecommendation) =>
    b.score - a.score || (a.candidate.id < b.candidate.id ? -1 : a.candidate.id > b.candidate.id ? 1 : 0);
  let scored: TargetRecommendation[] = [];
  let kthBest = -Infinity;
  // Scores with linkage 0, then the exact score of each firm whose linkage is known (the same weighted mean as
  // scoreCandidate with that factor), best first, ties by id.
  const rescore = () => {
    // Scores only: the explanations are written for the firms returned (the ranking at the end).
    scored = rankCandidates(
      linksOf.size === 0 ? candidates : candidates.map(withLinks),
      request.gaps,
      request.weights,
      false,
    )
      .map((recommendation) => {
        const linkage = linkageOf.get(recommendation.candidate.id);
        return linkage === undefined || linksOf.has(recommendation.candidate.id)
          ? recommendation
          : { ...recommendation, score: scoreWithLinkage(recommendation, linkage, request.weights) };
      })
      .sort(byScore);
    kthBest = scored.length >= request.first ? scored[request.first - 1]!.score : -Infinity;
    // The first-th best only rises, so a firm that cannot reach it now never will: it is dropped, and the rounds
    // after score only the firms still in the race (thousands fewer at province scale).
    const contenders = scored.filter((recommendation) => upper(recommendation) >= kthBest);
    if (contenders.length < candidates.length) {
      const keep = new Set(contenders.map((recommendation) => recommendation.candidate.id));
      candidates = candidates.filter((candidate) => keep.has(candidate.id));
      scored = contenders;
    }
  };
  const readLinkage = async (recommendations: readonly TargetRecommendation[]) => {
    for (let start = 0; start < recommendations.length; start += LINKAGE_BATCH) {
      const ids = recommendations
        .slice(start, start + LINKAGE_BATCH)
        .map((recommendation) => recommendation.candidate.id);
      const linkage = await readCandidateLinkage(executor, {
        regionId: request.regionId,
        ids,
        sources: request.sources,
        indirectOnly: directLinksListed(),
      });
      for (const id of ids) linkageOf.set(id, linkage.get(id) ?? 0);
      stats.linkageRead += ids.length;
    }
  };
  // Raises the first-th best to its true value among the read firms, so the walk can stop early whatever linkage
  // weighs. Each read firm has its linkage read at most once, so this reads no more firms than the walk's rows.
  const settleLinkage = async () => {
    rescore();
    const open = scored.filter(wantsLinkage);
    await readLinkage(open);
    if (open.length > 0) rescore();
  };
  /** Admits a firm read by a walk or the linked read as a candidate of the full ranking; false if it is not one. */
  const addFirm = ([
    id,
    source,
    sizeBand,
    leading,
    highTech,
    platformsHosted,
    homeIds,
    ownership,
    listed,
    operations,
  ]: FirmScoreRow): boolean => {
    if (read.has(id)) return false;
    read.add(id);
    // The candidates of the full ranking: outside the region, of the given provenance, with an operation of
    // the given provenance in a gap's scope.
    const homeId = homeIds
      .filter((regionId) => !inside(regionId))
      .sort()
      .at(0);
    if (
      homeId === undefined ||
      !request.sources.includes(source) ||
      operations.length === 0 ||
      !admitted({ ownership: ownership ?? null, listed: listed === true }, request.filter)
    ) {
      return false;
    }
    homeOf.set(id, homeId);
    // Names and products only word the explanations, which are written again from the ranked firms' details
    // (FIRM_DETAILS) before anything is returned; the score reads neither.
    candidates.push(
      candidateFrom(
        { id, name: '', sizeBand, leading, highTech, platformsHosted: Number(platformsHosted) },
        operations.map(([segmentId, role]) => ({ segmentId, segmentName: '', role, mainProducts: [] })),
        homeId,
      ),
    );
    stats.candidatesScored += 1;
    const linkage = linkedLinkage.get(id);
    if (linkage !== undefined) linkageOf.set(id, linkage);
    return true;
  };

  // The best fit any firm can have (a core role in the worst gap) and the most breadth any firm can have: with its
  // capability, linkage and proximity, they bound a firm's score whichever of its operations it is read by.
  const worstGap = Math.max(...[...request.gaps.values()].map((gap) => gap.score));
  /** The score of a walk's gap (100, the worst, for a gap the request does not list). */
  const gapScoreOf = (walk: Walk) => request.gaps.get(walk.gapId)?.score ?? 100;
  const maxBreadth = breadthValue(
    Math.min(request.gaps.size, request.maxOperations ?? Infinity),
    request.gaps.size,
  );
  /**
   * The gaps a firm operating in these of the gaps' segments fills: the most breadth it can have and the score of
   * the worst of them (the best fit it can have). Unknown segments (a firm that keeps no keys): any firm's most.
   */
  const gapsFilledBy = (segmentIds: readonly string[] | null): { breadth: number; gapScore: number } => {
    if (segmentIds === null) return { breadth: maxBreadth, gapScore: worstGap };
    const filled = new Set<string>();
    let gapScore = 0;
    for (const segmentId of segmentIds) {
      const gapId = request.scopeToGap.get(segmentId);
      if (gapId === undefined) continue;
      filled.add(gapId);
      gapScore = Math.max(gapScore, request.gaps.get(gapId)?.score ?? 100);
    }
    return {
      breadth: breadthValue(Math.min(filled.size, request.maxOperations ?? Infinity), request.gaps.size),
      gapScore,
    };
  };
  /**
   * The most a firm with this linkage and capability key can score, wherever it lies (maxProximity) and whatever
   * gaps it fills (a core role in the worst gap, the most breadth), unless they are given.
   */
  const linkedBound = (
    linkage: number,
    capabilityKey: number,
    proximity = maxProximity,
    gaps = { breadth: maxBreadth, gapScore: worstGap },
  ) =>
    unseenBound(
      {
        gapScore: gaps.gapScore,
        frontier: { core: true, capabilityKey },
        maxProximity: proximity,
        maxBreadth: gaps.breadth,
        lane: 'core',
        maxLinkage: linkage,
      },
      request.weights,
    );

  // The firms with a direct link to the region first (linkedCandidatesQuery): once they are all known, no unread
  // firm can have more than an indirect link, and the walks stop after a few rows instead of reading the gaps'
  // segments nearly whole. Each is bounded from what that read returns — its exact linkage and proximity, its
  // capability key (every platform counted), a core role in the worst of the gaps its segments fill and the breadth
  // of those gaps — and only those whose bound can still reach the first-th best have their facts read, best bound
  // first.
  // The read ships the first `linkedPage` of them by the same bound with the best proximity (linkedOrder), and the
  // first one it left out: once the first-th best is above that one's bound, none left out can reach the top, and
  // the walks may treat them as read. Otherwise the read runs again and ships them all. A city at a million firms
  // has up to 3,772 linked firms for a chain's gaps, of which a few hundred at most get their facts read; shipping
  // and bounding them all was a quarter to a third of the request's CPU in Node (linkedPageFor).
  const order = linkedOrder(linkedBound);
  const shipped = new Set<string>();
  // A firm's facts cost a few dozen db hits, a statement a round trip. With each firm bounded by the gaps it fills
  // (gapsFilledBy), the first 20 by bound settle the top for a first of 10: at 200,000 firms xiamen × biomedicine
  // needed 140 firms' facts in three statements from a first batch of 20 with the worst gap and the most breadth
  // assumed, and 20 in one with them; the bench's six draws and five more read 20 in one (37–50 from 50).
  let batch = Math.max(2 * request.first, 20);
  let size = request.firstPage ?? FIRST_WALK_PAGE;
  // The first round of the walks goes out with the linked read: it reads the first page of every walk from its start
  // whatever the linked firms make of the first-th best (no first-th best can rule out a row before any firm is
  // scored, and the rows are weighed when the walk goes on, after the linked firms' facts), and read after them it
  // was a statement more on every ranking (the bench's six draws: six statements a request with their default
  // sources, seven with every source). It also reads the rank index version, as the first round does (EmptyWalks).
  // (With every walk left out as found empty, the round has no list and reads the version alone.)
  let firstRound: { active: Walk[]; round: WalkRound; withVersion: boolean; row?: Row | undefined } | null =
    null;
  {
    const active = walks.filter((walk) => !walk.exhausted);
    const withVersion = emptyWalks !== undefined;
    if (active.length > 0 || withVersion) {
      if (request.scanLimit < active.length) throw tooComplex(request.scanLimit, 0);
      firstRound = {
        active,
        round: {
          lists: active.map((walk) => ({
            segmentId: walk.segmentId,
            provenance: walk.provenance,
            after: walk.after,
            before: walk.lane === 'core' ? '1' : '2',
          })),
          size: Math.min(size, Math.floor(request.scanLimit / Math.max(1, active.length))),
        },
        withVersion,
      };
    }
  }
  for (let limit: number | null = request.linkedPage ?? linkedPageFor(request.first); ; limit = null) {
    const linkedQuery = linkedCandidatesQuery({
      regionId: request.regionId,
      scopeIds,
      sources: request.sources,
      ...request.linkedLimits,
      order,
      limit,
    });
    const withFirstRound = firstRound !== null && firstRound.row === undefined;
    const [linkedRow] = await executor.read(
      'target-linked',
      withFirstRound
        ? linkedWithFirstRound(
            linkedQuery,
            firstRound!.round,
            firstRound!.withVersion ? request.rankIndexVersion : undefined,
          )
        : linkedQuery,
    );
    if (withFirstRound) firstRound!.row = linkedRow ?? {};
    stats.linkedReads += 1;
    stats.linkedLinks = Number(linkedRow?.['links'] ?? 0);
    stats.linkedComplete = linkedRow?.['complete'] === true;
    // An incomplete read (too many firms or links) leaves every unread firm's linkage bounded by 1, as without it.
    if (!stats.linkedComplete) break;
    const linked: { id: string; bound: number }[] = [];
    for (const [id, source, linkage, capability, homeIds, segmentIds] of (linkedRow?.['firms'] as
      LinkedFirmRow[] | undefined) ?? []) {
      // A firm shipped by the first read was dealt with then.
      if (shipped.has(id)) continue;
      shipped.add(id);
      stats.linkedShipped += 1;
      const homeId = homeIds
        .filter((regionId) => !inside(regionId))
        .sort()
        .at(0);
      if (homeId === undefined || !request.sources.includes(source)) continue;
      linkedLinkage.set(id, Number(linkage));
      const place = placeOf(homeId);
      linked.push({
        id,
        bound: linkedBound(
          Number(linkage),
          Number(capability),
          proximityValue(place.inPriorityRegion, place.distanceKm),
          gapsFilledBy(segmentIds),
        ),
      });
    }
    linked.sort((a, b) => b.bound - a.bound || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    linkageCeiling = LINKAGE_VALUE.INDIRECT;
    for (let next = 0; next < linked.length && linked[next]!.bound >= kthBest; batch *= 2) {
      const ids = linked.slice(next, next + batch).map((firm) => firm.id);
      next += ids.length;
      const [factsRow] = await executor.read(
        'target-linked-facts',
        firmFactsQuery({ ids, scopeIds, sources: request.sources }),
      );
      stats.linkedRead += ids.length;
      for (const firm of (factsRow?.['firms'] as FirmScoreRow[] | undefined) ?? []) addFirm(firm);
      await settleLinkage();
    }
    // Strictly below: a firm left out that could tie the first-th best might still enter it by its id. A firm left
    // out whose linkage and key the order does not know (a key no table gives) would say nothing of those after it.
    const leftOut = linkedRow?.['nextLeftOut'] as [number, number] | null | undefined;
    if (leftOut === null || leftOut === undefined) break;
    const [leftOutLinkage, leftOutCapability] = [Number(leftOut[0]), Number(leftOut[1])];
    if (
      order[linkedCodeOf(leftOutLinkage, leftOutCapability)] !== undefined &&
      linkedBound(leftOutLinkage, leftOutCapability) < kthBest
    )
      break;
  }

  /**
   * The least capability key a firm read by this walk needs for its facts to be worth reading: below it, even the
   * walk's own fit (its gap's score, its role), the most breadth, the best proximity of any outside region and the
   * most linkage an unread firm can have (linkageCeiling) leave its score under the first-th best, which only rises,
   * so it can never enter the top through this operation whatever its facts are (an operation of the firm with a
   * better fit is another walk's row, weighed there). (A firm with a direct link that the linked read left unread was
   * ruled out there already, with its own linkage.) The bound grows with the capability key, so the keys are tried
   * best first. When the linked read has found the top, most rows of a round fall below it: a city's gaps at 200,000
   * firms read 159–252 firms' facts a round, of which 11–36 could still reach the top.
   */
  const capabilityWorthReading = (walk: Walk): number => {
    if (kthBest === -Infinity) return 0;
    let least = CAPABILITY_KEY_SCALE + 1;
    for (const key of CAPABILITY_KEYS) {
      const bound = unseenBound(
        {
          gapScore: gapScoreOf(walk),
          frontier: { core: walk.lane === 'core', capabilityKey: key },
          maxProximity,
          maxBreadth,
          lane: walk.lane,
          maxLinkage: linkageCeiling,
        },
        request.weights,
      );
      if (bound < kthBest) break;
      least = key;
    }
    return least;
  };

  /** The most a firm can score from what a walk row says of it, per row kind (WalkedFirm) and the linkage ceiling. */
  const boundOfRow = new Map<string, number>();
  /**
   * Whether the facts of a firm a walk read are worth reading: its score can still reach the first-th best. The row
   * holds the firm's rank key (whose capability counts every platform, so it bounds the firm's from above), its home
   * and its segments, and came from a walk of one gap and role: the bound takes that operation's fit, the breadth of
   * the gaps the firm's segments fill (every operation counted, whatever its provenance), the most linkage an unread
   * firm can have (linkageCeiling) and the firm's own proximity, where capabilityWorthReading must take the best of
   * any outside region. An operation of the firm with a better fit is read by its own walk, which weighs it with that
   * fit (or has passed its capability, every firm there bounded below the first-th best). Most firms a walk reads lie
   * far from the region and out of the priority regions, fill one gap, or hold a minor role, and each of these alone
   * keeps them from the top: the bench's six cities' rankings at 200,000 firms read the facts of 1,344 firms the
   * walks read with a core role in the worst gap and the most breadth assumed, 200 with each row's own. A firm
   * without a home, or at home in the region, has its facts read: the ranking rules on it (a firm with a home outside
   * too is a candidate).
   */
  const worthReading = (firm: WalkedFirm): boolean => kthBest === -Infinity || boundOfFirm(firm) >= kthBest;
  /** The most the firm's score can be from what its walk row says (worthReading); Infinity when unplaced or inside. */
  const boundOfFirm = (firm: WalkedFirm): number => {
    if (firm.homeId === null || inside(firm.homeId)) return Infinity;
    const capability = frontierOf(firm.rankKey).capabilityKey;
    const memoKey = `${capability}\u0000${linkageCeiling}\u0000${firm.homeId}\u0000${firm.core}\u0000${firm.gapScore}\u0000${firm.breadth}`;
    let bound = boundOfRow.get(memoKey);
    if (bound === undefined) {
      const place = placeOf(firm.homeId);
      bound = unseenBound(
        {
          gapScore: firm.gapScore,
          frontier: { core: firm.core, capabilityKey: capability },
          maxProximity: proximityValue(place.inPriorityRegion, place.distanceKm),
          maxBreadth: firm.breadth,
          lane: firm.core ? 'core' : 'other',
          maxLinkage: linkageCeiling,
        },
        request.weights,
      );
      boundOfRow.set(memoKey, bound);
    }
    return bound;
  };

  /**
   * Firms a walk round chose, by id, each with the row that bounds it highest (a firm can be read by several walks in
   * a round): their facts go out with the next round.
   */
  let pending = new Map<string, WalkedFirm>();
  /**
   * How many chosen firms have their facts read in a round while no first-th best is known (see below): doubled each
   * time, so that a filter that admits few of them (ownership, listing) costs a few rounds more, not one per batch.
   */
  let factsBatch = Math.max(2 * request.first, 20);
  for (;;) {
    // An unread firm of capability c fills at most the gaps with a lane whose walk has not got past c (it would
    // have been read there otherwise), and at most as many as any firm has segments: the tighter breadth, taken
    // over every capability a firm can have.
    // Both are asked for the same few capabilities of every walk many times a round (CAPABILITY_KEYS × walks, each
    // breadth a pass over the walks), and nothing they read changes before the round's read: each is computed once.
    const breadthMemo = new Map<number, number>();
    /** Per gap and lane, the bound at each capability asked for. */
    const boundMemo = new Map<string, Map<number, number>>();
    const boundsOf = (walk: Walk) => {
      const key = `${walk.gapId}\u0000${walk.lane}`;
      let bounds = boundMemo.get(key);
      if (bounds === undefined) {
        bounds = new Map();
        boundMemo.set(key, bounds);
      }
      return bounds;
    };
    const breadthAt = (capability: number) => {
      const known = breadthMemo.get(capability);
      if (known !== undefined) return known;
      const open = new Set(
        walks
          .filter(
            (walk) => !walk.exhausted && (walk.frontier?.capabilityKey ?? CAPABILITY_KEY_SCALE) >= capability,
          )
          .map((walk) => walk.gapId),
      );
      const breadth = breadthValue(Math.min(open.size, request.maxOperations ?? Infinity), request.gaps.size);
      breadthMemo.set(capability, breadth);
      return breadth;
    };
    const boundAt = (walk: Walk, capability: number, bounds = boundsOf(walk)) => {
      const known = bounds.get(capability);
      if (known !== undefined) return known;
      const bound = unseenBound(
        {
          gapScore: gapScoreOf(walk),
          frontier: { core: walk.lane === 'core', capabilityKey: capability },
          maxProximity,
          maxBreadth: breadthAt(capability),
          lane: walk.lane,
          maxLinkage: linkageCeiling,
        },
        request.weights,
      );
      bounds.set(capability, bound);
      return bound;
    };
    const kthId = scored.length >= request.first ? scored[request.first - 1]!.candidate.id : null;
    // Whether an unread firm of the walk could still enter the top `first`. Those of the frontier's capability come
    // after the last one read in id order (the rank key ends with the id); those of a lower one may have any id.
    // Ties are decided by id, so an unread firm that can at most tie the first-th best enters only if its id is
    // smaller: once the walk is past that id, firms that score alike no longer hold it up (many do at province
    // scale, where the same capability, distance and linkage give the same score to the hundredth).
    const open = (walk: Walk) => {
      const ceiling = walk.frontier?.capabilityKey ?? CAPABILITY_KEY_SCALE;
      const bounds = boundsOf(walk);
      if (CAPABILITY_KEYS.some((key) => key < ceiling && boundAt(walk, key, bounds) >= kthBest)) return true;
      const atCeiling = boundAt(walk, ceiling, bounds);
      if (atCeiling !== kthBest || walk.frontier === null || kthId === null) return atCeiling >= kthBest;
      return kthId > rankKeyParts(walk.after).id;
    };
    // The first round, read with the linked read, is taken as it was read.
    const preRead = firstRound;
    firstRound = null;
    const active = preRead?.active ?? walks.filter((walk) => !walk.exhausted && open(walk));
    // The firms the last round chose whose facts are still worth reading, the first-th best having risen since.
    const worth = [...pending].filter(([, firm]) => worthReading(firm));
    stats.walkRowsSkipped += pending.size - worth.length;
    pending = new Map();
    // Until `first` candidates are scored there is no first-th best to prune by, and every firm the walks chose
    // would have its facts and linkage read: only the best-bounded `factsBatch` are, and the others wait for the next
    // round, weighed then against the first-th best those few give (the walks' frontier is past them, so they stay
    // chosen until read or ruled out). The bench's real-data rankings (six cities at 200,000 firms, no linked firm to
    // start from) read 110 firms' facts in their first round for a top 10.
    let ids = worth.map(([id]) => id);
    if (kthBest === -Infinity && worth.length > factsBatch) {
      const byBound = worth
        .map(([id, firm]) => ({ id, firm, bound: boundOfFirm(firm) }))
        .sort((a, b) => b.bound - a.bound || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      ids = byBound.slice(0, factsBatch).map(({ id }) => id);
      for (const { id, firm } of byBound.slice(factsBatch)) pending.set(id, firm);
      stats.factsDeferred += worth.length - ids.length;
      factsBatch *= 2;
    }
    if (preRead === null && active.length === 0 && ids.length === 0) break;
    let pageSize = preRead?.round.size ?? 0;
    let round: WalkRound | null = preRead?.round ?? null;
    if (preRead === null && active.length > 0) {
      const budget = request.scanLimit - stats.rowsRead;
      if (budget < active.length) throw tooComplex(request.scanLimit, stats.rowsRead);
      pageSize = Math.min(size, Math.floor(budget / active.length));
      round = {
        lists: active.map((walk) => ({
          segmentId: walk.segmentId,
          provenance: walk.provenance,
          after: walk.after,
          before: walk.lane === 'core' ? '1' : '2',
          minCapabilityKey: capabilityWorthReading(walk),
        })),
        size: pageSize,
      };
    }
    // The chosen firms' facts, their linkage and the next round of the walks go out together: the round is read
    // whatever the facts make of the first-th best (an index page, a few rows a walk), and a round that turns out
    // not to be needed costs less than a statement more each round. The linkage of a firm chosen here is nearly
    // always wanted once its facts are known (the bench's six draws at 200,000 firms: 182 of 200), and read apart it
    // was a statement more after each round with facts.
    const withLinkage = ids.length > 0 && request.weights.linkage > 0;
    // (The linked read's row also has `firms`, the linked firms: only the round's columns are taken from it.)
    const [row] =
      preRead !== null
        ? [{ walked: preRead.row?.['walked'] }]
        : await executor.read(
            round === null ? 'target-walk-facts' : 'target-walk',
            ids.length === 0 && round !== null
              ? walkQuery(round)
              : firmFactsQuery({
                  ids,
                  scopeIds,
                  sources: request.sources,
                  part: joinParts([
                    round === null ? null : walkPart(round),
                    withLinkage
                      ? {
                          query: candidateLinkagePart(request.regionId, {
                            indirectOnly: directLinksListed(),
                          }),
                          columns: ['linkage'],
                        }
                      : null,
                  ]),
                }),
          );
    // The first round read the rank index version before and after its seeks: the walks it left out stay out if the
    // version is the one they were found empty under, and are walked from the next round if it moved; the walks it
    // found empty are remembered when the version did not move while it read them.
    if (preRead?.withVersion === true) {
      const before = (preRead.row?.['rankIndexVersion'] as string | null | undefined) ?? null;
      const after = (preRead.row?.['rankIndexVersionAfter'] as string | null | undefined) ?? null;
      if (before === null || before !== rememberedVersion) for (const walk of skipped) walk.exhausted = false;
      if (before !== null && before === after && emptyWalks !== undefined)
        learnEmptyWalks(emptyWalks, before, active, row?.['walked'] as [number][] | undefined);
    }
    if (withLinkage) {
      for (const [id, linkage] of linkageFrom(row)) linkageOf.set(id, linkage);
      // A firm not found has none, as readLinkage has it.
      for (const id of ids) if (!linkageOf.has(id)) linkageOf.set(id, 0);
      stats.linkageRead += ids.length;
    }
    let added = false;
    for (const firm of (row?.['firms'] as FirmScoreRow[] | undefined) ?? []) {
      stats.walkFirmsRead += 1;
      if (addFirm(firm)) added = true;
    }
    if (added) await settleLinkage();
    if (round === null) continue;
    stats.rounds += 1;
    // Per walk read: [its index in the request, the last rank key read, the rows read, the rank keys of the rows
    // worth a look] (walkPart). Read after the facts that came with them: the firms just read are not chosen again,
    // and the others are weighed against the first-th best those facts raised.
    const walked = (row?.['walked'] as [number, string, number, string[]][] | undefined) ?? [];
    const lastKey = new Map<number, { key: string; count: number }>();
    for (const [list, key, rows, found] of walked) {
      lastKey.set(Number(list), { key, count: Number(rows) });
      stats.rowsRead += Number(rows);
      stats.walkRowsSkipped += Number(rows) - found.length;
      const walk = active[Number(list)]!;
      const gapScore = gapScoreOf(walk);
      const core = walk.lane === 'core';
      for (const rankKey of found) {
        const { id, homeId, segmentIds } = rankKeyParts(rankKey);
        if (read.has(id)) continue;
        // The firm's capability, home and segments are the same in every row of it: only the fit differs.
        const chosen = pending.get(id);
        if (chosen !== undefined && fitValue(chosen.core, chosen.gapScore) >= fitValue(core, gapScore))
          continue;
        const firm = { rankKey, homeId, core, gapScore, breadth: gapsFilledBy(segmentIds).breadth };
        if (worthReading(firm)) pending.set(id, firm);
        else stats.walkRowsSkipped += 1;
      }
    }
    for (const [list, walk] of active.entries()) {
      const last = lastKey.get(list);
      if (last === undefined || last.count < pageSize) walk.exhausted = true;
      if (last !== undefined) {
        walk.after = last.key;
        walk.frontier = frontierOf(last.key);
      }
    }
    size *= 2;
  }

  // Only read firms can reach the top now, and each of them that could has its exact score (settleLinkage ran after
  // the last firm was added; a firm whose linkage was not read scores below the first-th best even with the most
  // linkage it could have).
  // The top `first` get their links listed, for the linkage factor's explanation and evidence, and their details
  // read (names, products, profile: FIRM_DETAILS), for the explanations and the recommendation; the same links and
  // operations give the same factors, so the ranking is unchanged. Both reads go out together.
  const top = scored.slice(0, request.first);
  const ids = top.map((recommendation) => recommendation.candidate.id);
  const explain = request.explain !== false;
  // Without explanations a ranked firm's linkage value is the one read for the ranking. A firm has none only when
  // linkage weighs nothing (its score was exact without it): its value is then read, without listing its links.
  const linkageUnread = explain ? [] : ids.filter((id) => !linkageOf.has(id));
  const extra = ids.length === 0 ? undefined : request.details?.(ids);
  const [links, detailsRow, lateLinkage] = await Promise.all([
    explain
      ? readCandidateLinks(executor, { regionId: request.regionId, ids, sources: request.sources })
      : Promise.resolve(undefined),
    ids.length === 0
      ? Promise.resolve(undefined)
      : executor
          .read(
            'target-details',
            firmFactsQuery({
              ids,
              scopeIds,
              sources: request.sources,
              details: true,
              part: extra?.part ?? null,
            }),
          )
          .then(([row]) => row),
    // Every link kind looked for: these values are shown, not only compared (and this read is rare and small).
    readCandidateLinkage(executor, {
      regionId: request.regionId,
      ids: linkageUnread,
      sources: request.sources,
    }),
  ]);
  if (links !== undefined) {
    for (const id of ids)
      linksOf.set(id, links.get(id) ?? { suppliesLocal: [], buysFromLocal: [], indirect: [] });
    stats.linksRead += ids.length;
  }
  for (const [id, linkage] of lateLinkage) linkageOf.set(id, linkage);
  stats.linkageRead += lateLinkage.size;
  const details = new Map(
    ((detailsRow?.['firms'] as FirmRow[] | undefined) ?? []).map((firm) => [firm.id, firm]),
  );
  const profiles = new Map<string, CandidateProfile>();
  const detailed: CandidateFacts[] = [];
  for (const { candidate } of top) {
    const firm = details.get(candidate.id);
    const homeId = homeOf.get(candidate.id)!;
    // A firm removed since the walk read it is not recommended (hydration would not find it either).
    if (firm === undefined) continue;
    profiles.set(candidate.id, {
      ownership: firm.ownership ?? null,
      controller: firm.controller ?? null,
      stockCode: firm.stockCode ?? null,
      market: firm.market ?? null,
      listed: firm.listed === true,
      fortuneGlobal500: firm.fortuneGlobal500 ?? null,
      sizeBand: firm.sizeBand,
      regionIds: ancestry(homeId),
    });
    detailed.push(
      withLinks(
        candidateFrom(
          {
            id: firm.id,
            name: firm.name,
            sizeBand: firm.sizeBand,
            leading: firm.leading,
            highTech: firm.highTech,
            platformsHosted: Number(firm.platformsHosted),
          },
          firm.operations,
          homeId,
        ),
      ),
    );
  }
  const ranked = explain
    ? rankCandidates(detailed, request.gaps, request.weights)
    : rankCandidates(detailed, request.gaps, request.weights, false)
        .map((recommendation) => withKnownLinkage(recommendation, linkageOf, request.weights))
        .sort(byScore);
  return {
    ranked,
    profiles,
    stats,
    details: extra?.read(detailsRow),
  };
}
