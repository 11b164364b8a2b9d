import type { Properties } from './upsert.js';

/**
 * An enterprise's contact details — who to call at a firm — stored as plain properties of its Enterprise node (flat,
 * like its flags) and served as `Enterprise.contact`, which only authenticated callers may read: the guard is the
 * `Enterprise.contact` resolver (src/graphql/resolvers/enterprise.ts).
 */

export const CONTACT_FIELDS = ['website', 'phone', 'email', 'address', 'person'] as const;
export type ContactField = (typeof CONTACT_FIELDS)[number];
export type Contact = Partial<Record<ContactField, string>>;

/** The Enterprise property that stores each contact field. */
export const CONTACT_PROPERTY: Readonly<Record<ContactField, string>> = {
  website: 'contactWebsite',
  phone: 'contactPhone',
  email: 'contactEmail',
  address: 'contactAddress',
  person: 'contactPerson',
};

/** The node properties of a contact; fields it lacks are left out or undefined, which upserts drop. */
export function contactProperties(contact: Contact | undefined): Properties {
  const properties: Properties = {};
  if (contact === undefined) return properties;
  for (const field of CONTACT_FIELDS) properties[CONTACT_PROPERTY[field]] = contact[field];
  return properties;
}

/** Cypher for the contact map of the Enterprise bound to `node`, or null when no field is recorded. */
export function contactExpression(node: string): string {
  const stored = CONTACT_FIELDS.map((field) => `${node}.${CONTACT_PROPERTY[field]}`);
  const entries = CONTACT_FIELDS.map((field, index) => `${field}: ${stored[index]}`);
  return `CASE WHEN coalesce(${stored.join(', ')}) IS NULL THEN null ELSE { ${entries.join(', ')} } END`;
}
