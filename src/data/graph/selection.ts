import {
  getArgumentValues,
  getDirectiveValues,
  getNamedType,
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  isObjectType,
  Kind,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type GraphQLResolveInfo,
  type SelectionSetNode,
} from 'graphql';

/**
 * The part of a GraphQL request below one field, as plain data: for every response key (alias or field name) the
 * schema field it selects, its argument values (defaults applied, variables substituted) and its own selection.
 * The Cypher translator works on this, so it is a pure function of data, testable without executing GraphQL.
 */
export interface SelectedField {
  readonly field: string;
  readonly args: Readonly<Record<string, unknown>>;
  readonly selection: Selection;
}
export type Selection = ReadonlyMap<string, SelectedField>;

export const EMPTY_SELECTION: Selection = new Map();

/** What a selection is collected against: the request's fragments and variable values. */
interface CollectContext {
  readonly fragments: Readonly<Record<string, FragmentDefinitionNode>>;
  readonly variableValues: Readonly<Record<string, unknown>>;
}

function included(
  node: FieldNode | { directives?: FieldNode['directives'] },
  context: CollectContext,
): boolean {
  const skip = getDirectiveValues(GraphQLSkipDirective, node, context.variableValues);
  if (skip?.['if'] === true) return false;
  const include = getDirectiveValues(GraphQLIncludeDirective, node, context.variableValues);
  return include?.['if'] !== false;
}

function collectInto(
  type: GraphQLObjectType,
  selectionSet: SelectionSetNode,
  context: CollectContext,
  fields: Map<string, FieldNode[]>,
): void {
  for (const selection of selectionSet.selections) {
    if (!included(selection, context)) continue;
    if (selection.kind === Kind.FIELD) {
      const key = selection.alias?.value ?? selection.name.value;
      fields.set(key, [...(fields.get(key) ?? []), selection]);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      const condition = selection.typeCondition?.name.value;
      if (condition === undefined || condition === type.name) {
        collectInto(type, selection.selectionSet, context, fields);
      }
    } else {
      const fragment = context.fragments[selection.name.value];
      if (fragment && fragment.typeCondition.name.value === type.name) {
        collectInto(type, fragment.selectionSet, context, fields);
      }
    }
  }
}

/** Collects the selection of `fieldNodes` (all nodes for one response key) on the object type `type`. */
export function collectSelection(
  type: GraphQLObjectType,
  fieldNodes: readonly FieldNode[],
  context: CollectContext,
): Selection {
  const grouped = new Map<string, FieldNode[]>();
  for (const node of fieldNodes) {
    if (node.selectionSet) collectInto(type, node.selectionSet, context, grouped);
  }
  const result = new Map<string, SelectedField>();
  for (const [key, nodes] of grouped) {
    const first = nodes[0]!;
    const name = first.name.value;
    if (name.startsWith('__')) continue; // __typename is answered by graphql itself
    const definition = type.getFields()[name];
    if (!definition) continue;
    const args = getArgumentValues(definition, first, context.variableValues);
    const fieldType = getNamedType(definition.type);
    const selection = isObjectType(fieldType) ? collectSelection(fieldType, nodes, context) : EMPTY_SELECTION;
    result.set(key, { field: name, args, selection });
  }
  return result;
}

/** The selection below the field being resolved. */
export function selectionOf(info: GraphQLResolveInfo): Selection {
  const type = getNamedType(info.returnType);
  if (!isObjectType(type)) return EMPTY_SELECTION;
  return collectSelection(type, info.fieldNodes, {
    fragments: info.fragments,
    variableValues: info.variableValues,
  });
}

/** Every selected field of `selection` named `field`, whatever its alias. */
export function selectedFields(selection: Selection, field: string): [string, SelectedField][] {
  return [...selection].filter(([, selected]) => selected.field === field);
}

/** A selection found at one path of response keys below a root field. */
export interface SelectionAtPath {
  /** The response keys from the root field's selection down to the field (aliases, not field names). */
  readonly path: readonly string[];
  readonly selection: Selection;
}

/**
 * Every place where following the field names `fields` from `selection` leads, each with its own path of response
 * keys and its own selection. Two aliases of one field are two paths with their own arguments and sub-selections:
 * they are never merged (graphql-js validation only guarantees one field and one set of arguments per response key
 * at ONE path).
 */
export function selectionsAt(selection: Selection, fields: readonly string[]): SelectionAtPath[] {
  let current: SelectionAtPath[] = [{ path: [], selection }];
  for (const field of fields) {
    current = current.flatMap((level) =>
      selectedFields(level.selection, field).map(([key, selected]) => ({
        path: [...level.path, key],
        selection: selected.selection,
      })),
    );
  }
  return current;
}

/** A canonical text of a selection (keys, fields, arguments), so identical selections can share one projection. */
export function selectionKey(selection: Selection): string {
  return JSON.stringify(
    [...selection].map(([key, selected]) => [
      key,
      selected.field,
      canonical(selected.args),
      selectionKey(selected.selection),
    ]),
  );
}

function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === 'object') {
    return Object.keys(value)
      .sort()
      .map((name) => [name, canonical((value as Record<string, unknown>)[name])]);
  }
  return value;
}
