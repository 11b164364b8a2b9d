import {
  buildASTSchema,
  concatAST,
  getNamedType,
  Kind,
  parse,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLObjectType,
  type OperationDefinitionNode,
} from 'graphql';

import { collectSelection, type Selection } from '../../src/data/graph/selection.js';
import { loadTypeDefs } from '../../src/graphql/typeDefs.js';

/** The service's schema, built from its SDL. */
export const schema = buildASTSchema(concatAST(loadTypeDefs()));

/** The operation of a document and its fragments by name. */
export function parseOperation(query: string): {
  readonly operation: OperationDefinitionNode;
  readonly fragments: Record<string, FragmentDefinitionNode>;
} {
  const document = parse(query);
  const operation = document.definitions.find(
    (d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION,
  )!;
  const fragments = Object.fromEntries(
    document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((fragment) => [fragment.name.value, fragment]),
  );
  return { operation, fragments };
}

/** The selection of the first root field of a query, as the resolvers would see it. */
export function selectionFor(query: string, variableValues: Record<string, unknown> = {}): Selection {
  const { operation, fragments } = parseOperation(query);
  const root = operation.selectionSet.selections[0] as FieldNode;
  const type = getNamedType(schema.getQueryType()!.getFields()[root.name.value]!.type) as GraphQLObjectType;
  return collectSelection(type, [root], { fragments, variableValues });
}
