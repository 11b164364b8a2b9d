/** Cypher map projection of a node's or relationship's provenance properties, for any variable name. */
export function provenanceOf(variable: string): string {
  return `{ source: ${variable}.source, section: ${variable}.section, note: ${variable}.note }`;
}
