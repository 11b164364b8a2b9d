import type { ApolloServerPlugin } from '@apollo/server';
import {
  buildASTSchema,
  concatAST,
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  getNullableType,
  getOperationAST,
  getVariableValues,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isAbstractType,
  isLeafType,
  isListType,
  isObjectType,
  Kind,
  parse,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';

import type { Config } from '../config.js';
import {
  MAX_CLAUSE_CONDITIONS,
  MAX_CLAUSE_TERMS,
  MAX_CONDITION_IDS,
  MAX_MEASURE_CLAUSES,
} from '../ingest/records.js';
import { OWNERSHIP, SIZE_BAND } from '../ingest/vocabulary.js';
import { GRAPH_SPEC } from '../data/graph/spec.js';
import { AppError, ErrorCode } from '../errors.js';
import type { AdmissionControl, Release } from './admission.js';
import type { GraphQLContext } from './context.js';
import { PriceCache } from './requestCache.js';
import { loadTypeDefs } from './typeDefs.js';

/**
 * The price of an operation, computed from its document, its operation name and its COERCED variable values, so a
 * page size or a depth passed as a variable, or left to its default, is priced exactly like a literal. It replaces
 * graphql-armor's cost rule, a validation rule that cannot see variables: `enterprises(first: $n)` with n = 100 and
 * `enterprises` with no `first` at all both priced as if they asked for one row.
 *
 * The price approximates the values an answer holds plus the database work behind it, in one unit (about one
 * value in the answer):
 *
 * - every selected field costs 1 per instance of its parent (a scalar, an enum, or an object);
 * - a list multiplies the price of its selection by how many items it may hold:
 *   - a list that takes `first`: the coerced `first`, or the default the resolver applies when it is left out —
 *     20 for the root connections `enterprises`, `platforms` and for `search`, 10 for `targetFirms`'
 *     recommendations, MAX_PAGE_SIZE (default 100) for nested lists (`Region.enterprises`, `ChainSegment.enterprises`,
 *     `upstream/downstream { enterprises }`) unless the schema gives `first` a default (20 for
 *     `ChainGap.localEnterprises`, `LossImpact.firmsLosingLocalSupply`, `SupplyLoss.lostSuppliers`); on a connection
 *     it applies to `nodes` and to `edges`;
 *   - a list without `first` whose items are enterprises or platforms (the kinds that grow with a city's data):
 *     MAX_PAGE_SIZE;
 *   - the lost suppliers of a supply loss below `impactOfLosing(enterpriseId)`: 1 (the firm lost);
 *   - the path of a reached segment or enterprise: depth + 1 nodes;
 *   - the segments reached by `upstream/downstream`: 10 per step of depth, at most MAX_PAGE_SIZE;
 *   - compared regions (`compareRegions … regions`, `byRegion`): the number of `regionIds`;
 *   - fixed lists: 3 stages, 5 score factors, 7 gap reasons; a measure's conditions at the bounds the record
 *     schema sets (5 clauses of at most 4 conditions and 6 terms, 10 ids, the ownership and size vocabularies);
 *   - any other list (plan structure: chains, segments, regions, programmes, policies, measures, lists of
 *     scalars…): 20;
 * - database work on top of the values: each `upstream/downstream` traversal (its `segments` and its `enterprises`
 *   are one traversal each) costs 100 per step of depth; a `totalCount` 100; a nested page over a hub (PRICES.hubPage)
 *   100; a `search` 100; a target's `current`
 *   count 20; an analytics root field the statements it runs — 400 per (chain, region, scenario) gap assessment
 *   (`chainGaps` 1, `compareRegions` one per region, `impactOfLosing` 2 scenarios × 2 chains), plus 10000 for
 *   `targetFirms`' candidate search and 500 for `impactOfLosing`'s supply losses. A gap assessment reads the
 *   chain's structure and a few stored aggregate rows (src/analytics/aggregates.ts), whatever the number of firms:
 *   at 200,000 firms it takes about as long as a depth-4 traversal (it cost 5000 while it recounted the region's
 *   firms per request). The candidate search walks a rank index for as many rows as it takes to settle the top
 *   (up to TARGET_SCAN_LIMIT), seconds at province scale, so it stays in the expensive lane.
 *
 * Out-of-range page sizes and depths are priced at the configured maximum: the resolvers refuse them anyway, with
 * a BAD_USER_INPUT naming the argument, which says more than a cost error would. Introspection costs nothing (it is
 * answered from memory, bounded by the schema). The price is monotone: asking for more rows, a deeper traversal or
 * more fields never lowers it (a property test checks it).
 *
 * MAX_QUERY_COST bounds the price of one operation AND the sum over the operations of one HTTP batch.
 */

export interface CostLimits {
  readonly maxCost: number;
  readonly maxPageSize: number;
  readonly maxTraversalDepth: number;
}

export function costLimitsOf(config: Config): CostLimits {
  return {
    maxCost: config.limits.query.maxCost,
    maxPageSize: config.limits.maxPageSize,
    maxTraversalDepth: config.limits.maxTraversalDepth,
  };
}

/** The unit prices described above; exported so tests and the load tool can reason with the same numbers. */
export const PRICES = {
  field: 1,
  /** Lists without `first` over plan structure. */
  structuralList: 20,
  /** Reached segments per step of traversal depth. */
  reachedSegmentsPerStep: 10,
  traversalStep: 100,
  totalCount: 100,
  /**
   * A nested page over a hub (any relation with `hub` in src/data/graph/spec.ts, which names them: a segment's firms,
   * a firm's suppliers…) may read up to LIST_SCAN_LIMIT index entries to find its page, like a totalCount's count.
   */
  hubPage: 100,
  search: 100,
  targetProgress: 20,
  gapAssessment: 400,
  candidateSearch: 10000,
  supplyLosses: 500,
  /** Chains an enterprise or segment is assumed to belong to, for `impactOfLosing`. */
  impactChains: 2,
} as const;

/** Default page sizes the resolvers apply when `first` is left out (the rest default to MAX_PAGE_SIZE). */
const ROOT_PAGE_DEFAULTS: Readonly<Record<string, number>> = {
  enterprises: 20,
  platforms: 20,
  search: 20,
  targetFirms: 10,
  chainResilience: 10,
};

/** Object fields whose list children take the parent's `first`. */
const PAGED_CHILDREN: Readonly<Record<string, readonly string[]>> = {
  EnterpriseConnection: ['nodes', 'edges'],
  PlatformConnection: ['nodes', 'edges'],
  TargetFirmReport: ['recommendations'],
  ChainResilience: ['singlePointsOfFailure'],
};

const FIXED_LIST_SIZES: Readonly<Record<string, number>> = {
  'ChainGapReport.stages': 3,
  'RegionCoverage.stages': 3,
  'TargetFirm.factors': 5,
  'ChainGap.reasons': 7,
  // A measure's conditions, bounded by the record schema (src/ingest/records.ts MAX_MEASURE_CLAUSES …).
  'PolicyMeasure.eligibility': MAX_MEASURE_CLAUSES,
  'EligibilityClause.terms': MAX_CLAUSE_TERMS,
  'EligibilityClause.conditions': MAX_CLAUSE_CONDITIONS,
  'EligibleIncentive.terms': MAX_CLAUSE_TERMS,
  'EligibleIncentive.reasons': MAX_CLAUSE_CONDITIONS,
  'EligibleIncentive.clauses': MAX_MEASURE_CLAUSES,
  'QualifyingClause.terms': MAX_CLAUSE_TERMS,
  'QualifyingClause.reasons': MAX_CLAUSE_CONDITIONS,
  'MeasureCondition.segmentIds': MAX_CONDITION_IDS,
  'MeasureCondition.regionIds': MAX_CONDITION_IDS,
  'MeasureCondition.ownership': OWNERSHIP.values.length,
  'MeasureCondition.sizeBands': SIZE_BAND.values.length,
};

/** Item types that grow with the data (a city's firms and platforms), priced at MAX_PAGE_SIZE per list. */
const GROWING_ITEM_TYPES = new Set([
  'Enterprise',
  'Platform',
  'SegmentEnterprise',
  'SupplyLink',
  'SupplyLoss',
  'ReachedEnterprise',
  'ReachedSegmentEnterprise',
]);

const REACH_FIELDS = new Set(['upstream', 'downstream']);
const REACH_TYPES = new Set(['SegmentReach', 'EnterpriseReach']);

/** Beyond this nesting the document is pathological (validation caps depth far below); price it as infinite. */
const MAX_WALK_DEPTH = 64;

interface Walk {
  readonly schema: GraphQLSchema;
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  readonly variables: Readonly<Record<string, unknown>>;
  readonly limits: Omit<CostLimits, 'maxCost'>;
}

/** What a field's children need to know about the fields above them. */
interface Scope {
  /** The `first` of the enclosing connection or report, for its paged children. */
  readonly page: number | null;
  /** The depth of the enclosing traversal. */
  readonly depth: number | null;
  /** The number of regions of the enclosing `compareRegions`. */
  readonly regions: number | null;
  /** The most lost suppliers a supply loss can have: 1 below `impactOfLosing(enterpriseId)`, the one firm lost. */
  readonly lostSuppliers: number | null;
}

const ROOT_SCOPE: Scope = { page: null, depth: null, regions: null, lostSuppliers: null };

class TooDeep extends Error {}

function included(node: { readonly directives?: FieldNode['directives'] }, walk: Walk): boolean {
  try {
    if (getDirectiveValues(GraphQLSkipDirective, node, walk.variables)?.['if'] === true) return false;
    return getDirectiveValues(GraphQLIncludeDirective, node, walk.variables)?.['if'] !== false;
  } catch {
    return true; // a bad directive argument fails the operation anyway; pricing it as included is the safe side
  }
}

function typeApplies(condition: string | undefined, type: GraphQLNamedType, walk: Walk): boolean {
  if (condition === undefined || condition === type.name) return true;
  const conditionType = walk.schema.getType(condition);
  // A fragment on an interface or union applies when the object type is one of its members.
  return (
    conditionType !== undefined &&
    isAbstractType(conditionType) &&
    isObjectType(type) &&
    walk.schema.isSubType(conditionType, type)
  );
}

/**
 * Groups the fields of selection sets by response key, the way graphql-js's collectFields does (each fragment at
 * most once per level), so fields that merge into one are priced once, as they are executed once.
 */
function collect(
  type: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  walk: Walk,
): Map<string, FieldNode[]> {
  const fields = new Map<string, FieldNode[]>();
  const visited = new Set<string>();
  const visit = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection, walk)) continue;
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        fields.set(key, [...(fields.get(key) ?? []), selection]);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        if (typeApplies(selection.typeCondition?.name.value, type, walk)) visit(selection.selectionSet);
      } else {
        const name = selection.name.value;
        const fragment = walk.fragments[name];
        if (visited.has(name) || !fragment) continue;
        visited.add(name);
        if (typeApplies(fragment.typeCondition.name.value, type, walk)) visit(fragment.selectionSet);
      }
    }
  };
  selectionSets.forEach(visit);
  return fields;
}

function argumentsOf(
  definition: GraphQLField<unknown, unknown>,
  node: FieldNode,
  walk: Walk,
): Record<string, unknown> {
  try {
    return getArgumentValues(definition, node, walk.variables);
  } catch {
    return {}; // invalid arguments fail the operation before it runs; price with the defaults
  }
}

/** A `first` or `depth` value as the resolver will use it, clamped to [min, max] (outside it is refused anyway). */
function clamp(value: unknown, fallback: number, min: number, max: number): number {
  const number = typeof value === 'number' && Number.isFinite(value) ? Math.trunc(value) : fallback;
  return Math.max(min, Math.min(max, number));
}

function listSize(
  parent: GraphQLObjectType,
  field: string,
  itemType: GraphQLNamedType,
  args: Readonly<Record<string, unknown>>,
  scope: Scope,
  walk: Walk,
): number {
  const { maxPageSize } = walk.limits;
  if (parent.name === 'SupplyLoss' && field === 'lostSuppliers' && scope.lostSuppliers !== null) {
    return Math.min(scope.lostSuppliers, clamp(args['first'], maxPageSize, 0, maxPageSize));
  }
  if (parent.getFields()[field]?.args.some((argument) => argument.name === 'first')) {
    const fallback = parent.name === 'Query' ? (ROOT_PAGE_DEFAULTS[field] ?? maxPageSize) : maxPageSize;
    return clamp(args['first'], fallback, 0, maxPageSize);
  }
  if (PAGED_CHILDREN[parent.name]?.includes(field) && scope.page !== null) return scope.page;
  const fixed = FIXED_LIST_SIZES[`${parent.name}.${field}`];
  if (fixed !== undefined) return fixed;
  if (field === 'path' && scope.depth !== null) return scope.depth + 1;
  if (field === 'segments' && REACH_TYPES.has(parent.name) && scope.depth !== null) {
    return Math.min(maxPageSize, PRICES.reachedSegmentsPerStep * scope.depth);
  }
  if ((field === 'regions' || field === 'byRegion') && scope.regions !== null) return scope.regions;
  if (GROWING_ITEM_TYPES.has(itemType.name)) return maxPageSize;
  return PRICES.structuralList;
}

/** Database work a field causes beyond the values it returns, per instance. */
function work(
  parent: GraphQLObjectType,
  field: string,
  args: Readonly<Record<string, unknown>>,
  scope: Scope,
): number {
  if (REACH_TYPES.has(parent.name) && (field === 'segments' || field === 'enterprises')) {
    return PRICES.traversalStep * (scope.depth ?? 1);
  }
  if (field === 'totalCount') return PRICES.totalCount;
  const mapped = GRAPH_SPEC[parent.name]?.fields[field];
  if (mapped?.kind === 'relation' && mapped.hub) return PRICES.hubPage;
  if (parent.name === 'Target' && field === 'current') return PRICES.targetProgress;
  if (parent.name !== 'Query') return 0;
  switch (field) {
    case 'search':
      return PRICES.search;
    case 'chainGaps':
      return PRICES.gapAssessment;
    case 'compareRegions':
      return PRICES.gapAssessment * regionCount(args);
    case 'targetFirms':
      // The candidates are searched whatever `first` is (it only cuts the ranked list).
      return PRICES.gapAssessment + PRICES.candidateSearch;
    case 'impactOfLosing':
      return PRICES.gapAssessment * 2 * PRICES.impactChains + PRICES.supplyLosses;
    case 'chainResilience':
      // The chain's stored counts, then one bounded read of its local firms and their links.
      return PRICES.gapAssessment + PRICES.supplyLosses;
    default:
      return 0;
  }
}

function regionCount(args: Readonly<Record<string, unknown>>): number {
  const ids = args['regionIds'];
  return Array.isArray(ids) ? new Set(ids).size : 0;
}

function childScope(
  parent: GraphQLObjectType,
  field: string,
  args: Readonly<Record<string, unknown>>,
  scope: Scope,
  walk: Walk,
): Scope {
  if (REACH_FIELDS.has(field)) {
    return { ...scope, depth: clamp(args['depth'], 1, 1, walk.limits.maxTraversalDepth) };
  }
  if (parent.name === 'Query' && field === 'compareRegions') return { ...scope, regions: regionCount(args) };
  if (parent.name === 'Query' && field === 'impactOfLosing' && typeof args['enterpriseId'] === 'string') {
    return { ...scope, lostSuppliers: 1 };
  }
  if (parent.name === 'Query' && field in ROOT_PAGE_DEFAULTS && field !== 'search') {
    return { ...scope, page: clamp(args['first'], ROOT_PAGE_DEFAULTS[field]!, 0, walk.limits.maxPageSize) };
  }
  return scope;
}

function priceSelection(
  type: GraphQLObjectType,
  selectionSets: readonly SelectionSetNode[],
  scope: Scope,
  walk: Walk,
  level: number,
): number {
  if (level > MAX_WALK_DEPTH) throw new TooDeep();
  let total = 0;
  for (const nodes of collect(type, selectionSets, walk).values()) {
    const first = nodes[0]!;
    const name = first.name.value;
    if (name.startsWith('__')) continue; // __typename and introspection are answered from memory
    const definition = type.getFields()[name];
    if (!definition) continue; // an unknown field fails validation; nothing runs
    const args = argumentsOf(definition, first, walk);
    const nullable = getNullableType(definition.type);
    const itemType = getNamedType(definition.type);
    const count = isListType(nullable) ? listSize(type, name, itemType, args, scope, walk) : 1;
    let each = PRICES.field;
    if (!isLeafType(itemType)) {
      const subSets = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
      const inner = childScope(type, name, args, scope, walk);
      const objectTypes = isObjectType(itemType)
        ? [itemType]
        : isAbstractType(itemType)
          ? walk.schema.getPossibleTypes(itemType)
          : [];
      // For an abstract type, the costliest member prices the selection.
      each += Math.max(
        0,
        ...objectTypes.map((member) => priceSelection(member, subSets, inner, walk, level + 1)),
      );
    }
    total += work(type, name, args, scope) + count * each;
  }
  return total;
}

/** The price of one operation of a document, given its coerced variable values. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Readonly<Record<string, unknown>>,
  limits: Omit<CostLimits, 'maxCost'>,
): number {
  const root = schema.getRootType(operation.operation);
  if (!root) return 0;
  const fragments = Object.fromEntries(
    document.definitions
      .filter(
        (definition): definition is FragmentDefinitionNode => definition.kind === Kind.FRAGMENT_DEFINITION,
      )
      .map((fragment) => [fragment.name.value, fragment]),
  );
  try {
    return priceSelection(
      root,
      [operation.selectionSet],
      ROOT_SCOPE,
      { schema, fragments, variables, limits },
      0,
    );
  } catch (error) {
    if (error instanceof TooDeep) return Number.POSITIVE_INFINITY;
    throw error;
  }
}

/**
 * Prices a request as it arrives over HTTP: parses it, picks the operation, coerces the variables (defaults
 * applied) and prices it. Null when any step fails: the request is then refused for that reason by Apollo, before
 * anything runs, so there is nothing to price.
 */
export function requestCost(
  schema: GraphQLSchema,
  request: { readonly query?: unknown; readonly operationName?: unknown; readonly variables?: unknown },
  limits: Omit<CostLimits, 'maxCost'>,
  maxTokens: number,
): number | null {
  if (typeof request.query !== 'string') return null;
  let document: DocumentNode;
  try {
    document = parse(request.query, { maxTokens });
  } catch {
    return null;
  }
  const operation = getOperationAST(
    document,
    typeof request.operationName === 'string' ? request.operationName : undefined,
  );
  if (!operation) return null;
  const inputs =
    typeof request.variables === 'object' && request.variables !== null && !Array.isArray(request.variables)
      ? (request.variables as Record<string, unknown>)
      : {};
  const coerced = coerceVariables(schema, operation, inputs);
  return coerced === null ? null : operationCost(schema, document, operation, coerced, limits);
}

/** Variables of these types can change a price (page sizes, depths, @skip/@include, compared region ids). */
const PRICED_VARIABLE_TYPES = new Set(['Int', 'Boolean', 'ID']);

function coerceVariables(
  schema: GraphQLSchema,
  operation: OperationDefinitionNode,
  inputs: Readonly<Record<string, unknown>>,
): Record<string, unknown> | null {
  // Only the variables that can change the price are coerced here: Apollo coerces them all again to execute, and a
  // big filter list or text would otherwise be walked twice on the event loop.
  const priced = (operation.variableDefinitions ?? []).filter((definition) => {
    let type = definition.type;
    while (type.kind !== Kind.NAMED_TYPE) type = type.type;
    return PRICED_VARIABLE_TYPES.has(type.name.value);
  });
  try {
    const result = getVariableValues(schema, priced, inputs, { maxErrors: 1 });
    return result.coerced ?? null;
  } catch {
    return null; // an unknown variable type: validation refuses the document
  }
}

/** The QUERY_TOO_COMPLEX refusal; the message starts like graphql-armor's did, so clients matching it still do. */
export function costError(cost: number, maxCost: number, batch?: { operations: number }): AppError {
  const shown = Number.isFinite(cost) ? String(Math.ceil(cost)) : 'more than can be counted';
  const message = batch
    ? `Query Cost limit of ${maxCost} exceeded by the batch, found ${shown}: the sum over its ${batch.operations} operations (MAX_QUERY_COST bounds one operation and one batch)`
    : `Query Cost limit of ${maxCost} exceeded, found ${shown} (MAX_QUERY_COST; priced with the variables' values and the default page sizes)`;
  return new AppError(ErrorCode.QUERY_TOO_COMPLEX, message, {
    limit: 'maxCost',
    maxCost,
    cost: Number.isFinite(cost) ? Math.ceil(cost) : null,
    ...(batch ? { batchOperations: batch.operations } : {}),
    http: { status: 400 },
  });
}

/**
 * What one HTTP request has spent, shared by the operations of a batch: Apollo builds the context once per HTTP
 * request and gives each operation of a batch a shallow copy, so this object is the same for all of them.
 */
export class CostBudget {
  private spentSoFar = 0;
  private operations = 0;

  /** Adds an operation's price; returns the batch total so far and how many operations it covers. */
  charge(cost: number): { total: number; operations: number } {
    this.spentSoFar += cost;
    this.operations += 1;
    return { total: this.spentSoFar, operations: this.operations };
  }
}

/**
 * Prices every operation where its coerced variables are known (after Apollo resolved the operation, before it
 * executes) and refuses it with QUERY_TOO_COMPLEX and HTTP 400 when it, or the batch it belongs to, is above
 * MAX_QUERY_COST. With an AdmissionControl, the priced operation then waits for a slot of its lane (or is refused
 * with SERVICE_BUSY); the slot is given back in willSendResponse, which Apollo calls on every path after this one.
 */
export function costLimitPlugin(
  limits: CostLimits,
  admission?: AdmissionControl,
): ApolloServerPlugin<GraphQLContext> {
  // The price depends on the document and a few variables only (requestCache.ts): computed once per combination.
  const prices = new PriceCache();
  return {
    requestDidStart: () => {
      // One listener per operation (Apollo starts a request per operation of a batch).
      let release: Release | undefined;
      let answered = false;
      return Promise.resolve({
        didResolveOperation: async ({ schema, document, operation, request, contextValue }) => {
          if (!operation) return; // Apollo refuses a request whose operation it cannot find
          const coerced = coerceVariables(schema, operation, request.variables ?? {});
          // Variables that do not coerce fail the operation before it runs, with graphql's own error.
          if (coerced === null) return;
          const cost = prices.price(schema, document.definitions, operation, coerced, () =>
            operationCost(schema, document, operation, coerced, limits),
          );
          if (cost > limits.maxCost) throw costError(cost, limits.maxCost);
          // A batch's operations share one budget (see CostBudget); a lone request charges it once.
          const charged = contextValue.costBudget?.charge(cost);
          if (charged && charged.operations > 1 && charged.total > limits.maxCost) {
            throw costError(charged.total, limits.maxCost, { operations: charged.operations });
          }
          // Last, so nothing after it can fail and leave the slot taken.
          if (admission) {
            const bodyBytes = Number(request.http?.headers.get('content-length') ?? 0);
            const admitted = await admission.admit(cost, Number.isFinite(bodyBytes) ? bodyBytes : 0);
            // Another plugin's didResolveOperation may have failed while this one waited: Apollo has then already
            // answered (and called willSendResponse), so the slot goes straight back.
            if (answered) admitted();
            else release = admitted;
          }
        },
        willSendResponse: () => {
          answered = true;
          release?.();
          return Promise.resolve();
        },
      });
    },
  };
}

/**
 * Refuses a batch (a JSON array body) whose operations cost more than MAX_QUERY_COST together, before any of them
 * runs, so a batch is refused whole and the message names its total. Operations that cannot be priced here (not
 * parseable, unknown operation, variables that do not coerce, persisted-query hashes) are priced by the plugin
 * when Apollo resolves them, against the same per-request budget.
 */
export function batchCostRefusal(config: Config): (body: unknown) => {
  status: number;
  code: ErrorCode;
  message: string;
  extensions: Record<string, unknown>;
} | null {
  const schema = buildASTSchema(concatAST(loadTypeDefs()));
  const limits = costLimitsOf(config);
  const { maxTokens } = config.limits.query;
  return (body) => {
    if (!Array.isArray(body)) return null;
    let total = 0;
    for (const piece of body) {
      if (typeof piece !== 'object' || piece === null) continue;
      total += requestCost(schema, piece as Record<string, unknown>, limits, maxTokens) ?? 0;
    }
    if (total <= limits.maxCost) return null;
    const error = costError(total, limits.maxCost, { operations: body.length });
    const { http: _http, ...extensions } = error.extensions;
    return { status: 400, code: error.code, message: error.message, extensions };
  };
}
