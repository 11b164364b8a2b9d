import type { ContactField } from '../data/contact.js';
import { clip } from '../errors.js';

/**
 * Checks on an enterprise's contact details, shared by the seed files and the importer (as creditCode.ts is). Each
 * returns null when the value is acceptable, otherwise what is wrong with it, quoting the value.
 */

const MAX_LENGTH: Readonly<Record<ContactField, number>> = {
  website: 2048,
  phone: 40,
  email: 254,
  address: 300,
  person: 100,
};

function websiteProblem(value: string): string | null {
  const wrong = `'${clip(value)}' is not a website address: expected an http:// or https:// URL such as https://www.example.com`;
  if (!/^https?:\/\/[^\s/?#]/i.test(value) || /\s/.test(value)) return wrong;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return wrong;
  }
  if (url.username !== '' || url.password !== '') {
    return `'${clip(value)}' is not a website address: it must not carry a user name or password`;
  }
  // A public website has a domain name (example.com) or an address; a bare host name (intranet) is a typo.
  if (!url.hostname.includes('.') && !url.hostname.startsWith('[')) return wrong;
  return null;
}

function phoneProblem(value: string): string | null {
  const digits = value.replace(/\D/g, '').length;
  if (!/^\+?[0-9()\- ]+$/.test(value) || digits < 5 || digits > 20) {
    return `'${clip(value)}' is not a phone number: use 5 to 20 digits with spaces, hyphens or parentheses and an optional leading +, such as 0311-85551234 or +86 311 8555 1234`;
  }
  return null;
}

// A local part without spaces or separators, then a domain of dot-separated labels (letters of any script allowed).
const EMAIL =
  /^[^\s@<>()[\],;:"]+@[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?(?:\.[\p{L}\p{N}](?:[\p{L}\p{N}-]*[\p{L}\p{N}])?)+$/u;

function emailProblem(value: string): string | null {
  return EMAIL.test(value)
    ? null
    : `'${clip(value)}' is not an email address: expected name@domain, such as info@example.com`;
}

const SHAPE: Readonly<Record<ContactField, (value: string) => string | null>> = {
  website: websiteProblem,
  phone: phoneProblem,
  email: emailProblem,
  address: () => null,
  person: () => null,
};

/** What is wrong with a contact field's value, or null when it is fine. */
export function contactProblem(field: ContactField, value: string): string | null {
  if (value.length > MAX_LENGTH[field]) {
    return `${field} is ${value.length} characters long; at most ${MAX_LENGTH[field]}`;
  }
  return SHAPE[field](value);
}
