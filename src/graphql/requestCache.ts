import {
  isInterfaceType,
  isObjectType,
  Kind,
  visit,
  type ASTNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type ValueNode,
} from 'graphql';

/**
 * Per-document caches for the checks every request runs before it executes (its price, its argument lengths).
 * Apollo keeps each validated document in its document store and hands the SAME DocumentNode (and so the same
 * OperationDefinitionNode) to every request with that query text, so a cache keyed by the operation node lives as
 * long as Apollo keeps the document, and never outlives it (WeakMap). What a cache holds is a function of the
 * document and of the variable values named in its key only — never of the caller — so it cannot carry anything from
 * one caller to another (test/unit/requestCache.test.ts and test/integration/planCache.test.ts check it).
 */

/** Per operation, at most this many priced variable combinations are kept (then the oldest half is dropped). */
const MAX_ENTRIES_PER_OPERATION = 256;

/** Arguments whose values the price reads (cost.ts: listSize, childScope, work). */
const PRICED_ARGUMENTS = new Set(['first', 'depth', 'regionIds']);

/**
 * The names of the fields (on any type) that take a priced argument. A field's other arguments matter to its price
 * too, but only through them: graphql-js's getArgumentValues fails as a whole when one of them is invalid (a null
 * for a non-null argument), and the price then falls back to the defaults.
 */
function pricedFieldNames(schema: GraphQLSchema): Set<string> {
  const names = new Set<string>();
  for (const type of Object.values(schema.getTypeMap())) {
    if (!(isObjectType(type) || isInterfaceType(type)) || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (field.args.some((argument) => PRICED_ARGUMENTS.has(argument.name))) names.add(field.name);
    }
  }
  return names;
}

function variablesIn(value: ValueNode, into: Set<string>): void {
  visit(value, { Variable: (node) => void into.add(node.name.value) });
}

/**
 * The variables whose values can change the price of `operation`: those given (anywhere inside the value) to an
 * argument of a field that takes a priced argument, or to a directive (@skip/@include). Found in the operation and
 * in every fragment of the document (an over-approximation: more variables in the key only costs cache hits).
 */
function pricedVariables(
  documentDefinitions: readonly ASTNode[],
  operation: OperationDefinitionNode,
  fieldNames: ReadonlySet<string>,
): string[] {
  const found = new Set<string>();
  for (const definition of documentDefinitions) {
    if (definition !== operation && definition.kind !== Kind.FRAGMENT_DEFINITION) continue;
    visit(definition, {
      Field: (node) => {
        if (!fieldNames.has(node.name.value)) return;
        for (const argument of node.arguments ?? []) variablesIn(argument.value, found);
      },
      Directive: (node) => {
        for (const argument of node.arguments ?? []) variablesIn(argument.value, found);
      },
    });
  }
  return [...found].sort();
}

interface OperationPrices {
  readonly variables: readonly string[];
  readonly prices: Map<string, number>;
}

/**
 * Remembers operation prices keyed by the operation node and the coerced values of its priced variables. The key
 * tells a variable left out from one given as null (coercion keeps that difference, and so may the price).
 */
export class PriceCache {
  private byOperation = new WeakMap<OperationDefinitionNode, OperationPrices>();
  private fieldNames: Set<string> | undefined;
  private schema: GraphQLSchema | undefined;

  price(
    schema: GraphQLSchema,
    definitions: readonly ASTNode[],
    operation: OperationDefinitionNode,
    coerced: Readonly<Record<string, unknown>>,
    compute: () => number,
  ): number {
    if (this.schema !== schema) {
      // A new schema (Apollo's schema can be replaced) prices differently: start over.
      this.schema = schema;
      this.fieldNames = pricedFieldNames(schema);
      this.byOperation = new WeakMap();
    }
    let entry = this.byOperation.get(operation);
    if (!entry) {
      entry = { variables: pricedVariables(definitions, operation, this.fieldNames!), prices: new Map() };
      this.byOperation.set(operation, entry);
    }
    const key = JSON.stringify(
      entry.variables.map((name) => (Object.hasOwn(coerced, name) ? [coerced[name]] : [])),
    );
    const known = entry.prices.get(key);
    if (known !== undefined) return known;
    const price = compute();
    if (entry.prices.size >= MAX_ENTRIES_PER_OPERATION) {
      let drop = entry.prices.size / 2;
      for (const old of entry.prices.keys()) {
        if (drop-- <= 0) break;
        entry.prices.delete(old);
      }
    }
    entry.prices.set(key, price);
    return price;
  }
}

/**
 * Whether every string in the raw variable values is at most `max` characters long (numbers count as the text an
 * ID coerces them to). Walks at most the values MAX_VARIABLE_VALUES already allows.
 */
export function allStringsWithin(value: unknown, max: number): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === 'string') {
      if (next.length > max) return false;
    } else if (typeof next === 'number' || typeof next === 'bigint') {
      if (String(next).length > max) return false;
    } else if (Array.isArray(next)) {
      for (const item of next) pending.push(item);
    } else if (typeof next === 'object' && next !== null) {
      for (const item of Object.values(next)) pending.push(item);
    }
  }
  return true;
}

/**
 * The shape of variable values: which keys are present (recursively), list lengths and value kinds, with every
 * string and number left out. Defaults (a variable's, an input field's) apply where a value is absent, so two
 * requests of one document with the same shape and only short strings take the same defaults.
 */
export function shapeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `[${value.map(shapeOf).join(',')}]`;
  if (typeof value === 'object') {
    return `{${Object.keys(value)
      .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${shapeOf((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return typeof value;
}
