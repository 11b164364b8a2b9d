import { createHash, timingSafeEqual } from 'node:crypto';

import { AppError, ErrorCode } from './errors.js';

/**
 * Who is calling. API keys are configured as `name:role:sha256-of-the-key` (API_KEYS), so the configuration and the
 * logs never hold a usable key; a presented key is hashed and compared in constant time.
 */

export const ROLES = ['viewer', 'editor'] as const;
export type Role = (typeof ROLES)[number];

export interface Caller {
  readonly name: string;
  readonly role: Role;
}

export interface ApiKeyEntry {
  readonly name: string;
  readonly role: Role;
  readonly sha256: Buffer;
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Parses API_KEYS; throws with the entry that is malformed. */
export function parseApiKeys(value: string | undefined): ApiKeyEntry[] {
  if (value === undefined || value.trim() === '') return [];
  return value.split(',').map((entry, index) => {
    const [name, role, hash] = entry.trim().split(':');
    if (
      !name ||
      !role ||
      !hash ||
      !(ROLES as readonly string[]).includes(role) ||
      !/^[0-9a-f]{64}$/.test(hash)
    ) {
      throw new Error(
        `entry ${index + 1} must be name:role:sha256hex with role ${ROLES.join(' or ')} (the hash of the key, 64 hex digits)`,
      );
    }
    return { name, role: role as Role, sha256: Buffer.from(hash, 'hex') };
  });
}

/** The caller a presented key belongs to, or null when the key matches no entry. */
export function callerForKey(key: string, entries: readonly ApiKeyEntry[]): Caller | null {
  const presented = Buffer.from(hashKey(key), 'hex');
  for (const entry of entries) {
    if (timingSafeEqual(presented, entry.sha256)) return { name: entry.name, role: entry.role };
  }
  return null;
}

/** The key a request presents: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
export function presentedKey(headers: {
  authorization?: string | undefined;
  'x-api-key'?: string | undefined;
}): string | null {
  const bearer = /^Bearer\s+(.+)$/i.exec(headers.authorization ?? '')?.[1]?.trim();
  return bearer ?? headers['x-api-key']?.trim() ?? null;
}

const RANK: Readonly<Record<Role, number>> = { viewer: 0, editor: 1 };

/** Throws UNAUTHENTICATED without a caller, FORBIDDEN when the caller's role is below the one needed. */
export function requireRole(caller: Caller | null, role: Role, action: string): Caller {
  if (caller === null) {
    throw new AppError(
      ErrorCode.UNAUTHENTICATED,
      `${action} needs an API key with the ${role} role (Authorization: Bearer <key>)`,
      {
        http: { status: 401 },
      },
    );
  }
  if (RANK[caller.role] < RANK[role]) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `${action} needs the ${role} role; '${caller.name}' has ${caller.role}`,
      { http: { status: 403 } },
    );
  }
  return caller;
}
