import neo4j from 'neo4j-driver';

/**
 * Turns driver values into plain JavaScript: Integers into numbers (they are counts and ids here, far below
 * 2^53), temporal values into ISO strings, nodes and relationships into their properties. Resolvers never see a
 * driver type.
 */
export function toPlain(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  // Most values of a large answer are strings, numbers and booleans, and most objects are the plain maps the driver
  // decodes records into: those are settled first, before the driver's type checks (each a property probe), since
  // this walk runs synchronously over every value of every answer.
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
      return value;
    case 'bigint':
      return Number(value);
    default:
      break;
  }
  if (Array.isArray(value)) return value.map(toPlain);
  if (neo4j.isInt(value)) return value.toNumber();
  if (Object.getPrototypeOf(value) === Object.prototype) {
    const plain: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(value as Record<string, unknown>)) plain[key] = toPlain(entry);
    return plain;
  }
  if (
    neo4j.isDate(value) ||
    neo4j.isDateTime(value) ||
    neo4j.isLocalDateTime(value) ||
    neo4j.isTime(value) ||
    neo4j.isLocalTime(value) ||
    neo4j.isDuration(value)
  ) {
    return value.toString();
  }
  if (neo4j.isNode(value) || neo4j.isRelationship(value)) return toPlain(value.properties);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, toPlain(entry)]));
  }
  return value;
}
