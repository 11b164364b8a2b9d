import { createHash, createPublicKey, timingSafeEqual, type KeyObject } from 'node:crypto';

import { HeaderMap } from '@apollo/server';
import { errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

import { AppError, ErrorCode } from './errors.js';

/**
 * Who is calling. Two kinds of credential, both sent as `Authorization: Bearer <credential>`:
 * - API keys, configured as `name:role:sha256-of-the-key` (API_KEYS), so the configuration and the logs never hold
 *   a usable key; a presented key is hashed and compared in constant time (`x-api-key: <key>` works too);
 * - JWTs from an identity provider, verified with JWT_SECRET (HS256) or JWT_PUBLIC_KEY (RS256/ES256), whose roles
 *   claim names `viewer` and/or `editor`.
 */

export const ROLES = ['viewer', 'editor'] as const;
export type Role = (typeof ROLES)[number];
const RANK: Readonly<Record<Role, number>> = { viewer: 0, editor: 1 };

/** Whether a caller with `role` (null: anonymous) has at least the role `needed`. */
export function roleAtLeast(role: Role | null, needed: Role): boolean {
  return role !== null && RANK[role] >= RANK[needed];
}

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

export interface JwtConfig {
  readonly key: Uint8Array | KeyObject;
  /** Pinned, so a token cannot choose its own algorithm (`none`, or HS256 signed with the public key). */
  readonly algorithms: readonly string[];
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** The claim holding the caller's roles: an array of role names or one role name. */
  readonly rolesClaim: string;
  /**
   * The longest lifetime a token may have, in seconds: its `exp` may be at most this far from now and from its
   * `iat`. A token valid for years is a stolen-once, usable-for-ever credential that no rotation reaches.
   */
  readonly maxLifetimeSeconds: number;
}

/** The public key in a PEM text, or null when it is not one. */
export function publicKeyOrNull(pem: string): KeyObject | null {
  try {
    // Environment variables often carry a PEM on one line with literal \n sequences.
    return createPublicKey(pem.replace(/\\n/g, '\n'));
  } catch {
    return null;
  }
}

// Three base64url segments: header.payload.signature.
const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

export function looksLikeJwt(credential: string): boolean {
  return JWT_SHAPE.test(credential);
}

// The clock skew tolerated between this service and the identity provider, in seconds.
const CLOCK_TOLERANCE_S = 5;

/** HTTP 401 must name the scheme the client should use (RFC 9110 §11.6.1). */
function unauthorizedStatus(): { http: { status: 401; headers: HeaderMap } } {
  return { http: { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer']]) } };
}

function unauthenticated(message: string): AppError {
  return new AppError(ErrorCode.UNAUTHENTICATED, message, unauthorizedStatus());
}

/** The caller a JWT names; throws UNAUTHENTICATED saying why a token is refused (expired, bad signature, ...). */
export async function callerForJwt(token: string, jwt: JwtConfig): Promise<Caller> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwt.key, {
      algorithms: [...jwt.algorithms],
      ...(jwt.issuer === undefined ? {} : { issuer: jwt.issuer }),
      ...(jwt.audience === undefined ? {} : { audience: jwt.audience }),
      clockTolerance: CLOCK_TOLERANCE_S,
      // A token without an expiry would be a credential for ever; identity providers always set one.
      requiredClaims: ['exp'],
    }));
  } catch (error) {
    if (error instanceof joseErrors.JWTExpired) throw unauthenticated('The token has expired');
    if (error instanceof joseErrors.JWTClaimValidationFailed) {
      throw unauthenticated(
        error.reason === 'missing'
          ? `The token has no '${error.claim}' claim`
          : `The token's '${error.claim}' claim is not accepted`,
      );
    }
    if (error instanceof joseErrors.JOSEAlgNotAllowed) {
      throw unauthenticated(`The token's algorithm is not accepted (accepted: ${jwt.algorithms.join(', ')})`);
    }
    throw unauthenticated('The token is not valid (malformed, or its signature does not verify)');
  }
  checkLifetime(payload, jwt.maxLifetimeSeconds);
  const claimed = payload[jwt.rolesClaim];
  const names = Array.isArray(claimed) ? claimed : [claimed];
  const roles = ROLES.filter((role) => names.includes(role));
  const role = roles.reduce<Role | null>(
    (best, next) => (best === null || RANK[next] > RANK[best] ? next : best),
    null,
  );
  if (role === null) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `The token's '${jwt.rolesClaim}' claim grants none of the roles ${ROLES.join(', ')}`,
      { http: { status: 403 } },
    );
  }
  const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : 'jwt';
  return { name: subject, role };
}

/** Refuses a token whose expiry lies further from now, or from its issue time, than the accepted lifetime. */
function checkLifetime(payload: JWTPayload, maxLifetimeSeconds: number): void {
  // jwtVerify has checked that exp (required) and iat (when present) are numbers.
  const exp = payload.exp ?? 0;
  const now = Math.floor(Date.now() / 1000);
  const tooLong = (from: number) => exp - from > maxLifetimeSeconds + CLOCK_TOLERANCE_S;
  if (tooLong(now) || (payload.iat !== undefined && tooLong(payload.iat))) {
    // Beyond ±8.64e12 s a Date cannot hold it (a hostile exp may be anything).
    const expires = Math.abs(exp) <= 8.64e12 ? new Date(exp * 1000) : null;
    throw unauthenticated(
      `The token's lifetime is longer than the accepted maximum of ${maxLifetimeSeconds} s` +
        `${expires === null ? '' : ` (it expires at ${expires.toISOString()})`}; ask for a shorter-lived token`,
    );
  }
}

export interface AccessConfig {
  readonly apiKeys: readonly ApiKeyEntry[];
  readonly jwt: JwtConfig | undefined;
  readonly reads: 'public' | 'key';
}

/**
 * The caller of a request, from its headers. A credential that matches nothing is an error even where reads are
 * public: a client sending a wrong key or an expired token must learn it, not silently get anonymous access.
 */
export async function authenticate(
  headers: { authorization?: string | undefined; 'x-api-key'?: string | undefined },
  access: AccessConfig,
): Promise<Caller | null> {
  const credential = presentedKey(headers);
  if (credential === WRONG_SCHEME) {
    // Basic, Token, a bare key...: the client means to authenticate, so answering as anonymous would hide its mistake.
    throw unauthenticated(
      "The Authorization header must be 'Bearer <credential>'; other schemes (Basic, Token, ...) and bare values are not accepted",
    );
  }
  if (credential === null) {
    if (access.reads === 'key') {
      throw unauthenticated('This service needs an API key or token (Authorization: Bearer <credential>)');
    }
    return null;
  }
  if (looksLikeJwt(credential)) {
    if (access.jwt === undefined) throw unauthenticated('This service does not accept JWTs; use an API key');
    return callerForJwt(credential, access.jwt);
  }
  const caller = callerForKey(credential, access.apiKeys);
  if (caller === null) throw unauthenticated('The API key is not valid');
  return caller;
}

/** What presentedKey returns for an Authorization header that does not carry a Bearer credential. */
export const WRONG_SCHEME: unique symbol = Symbol('wrong Authorization scheme');

/**
 * The credential a request presents: `Authorization: Bearer <credential>` or `x-api-key: <key>`; WRONG_SCHEME for
 * an Authorization header in any other form (an empty header counts as absent).
 */
export function presentedKey(headers: {
  authorization?: string | undefined;
  'x-api-key'?: string | undefined;
}): string | typeof WRONG_SCHEME | null {
  const authorization = headers.authorization?.trim() ?? '';
  if (authorization !== '') {
    return /^Bearer\s+(.+)$/i.exec(authorization)?.[1]?.trim() ?? WRONG_SCHEME;
  }
  return headers['x-api-key']?.trim() || null;
}

/** Throws UNAUTHENTICATED without a caller, FORBIDDEN when the caller's role is below the one needed. */
export function requireRole(caller: Caller | null, role: Role, action: string): Caller {
  return checkRole(caller, role, action, true);
}

/**
 * requireRole for one field of an answer that otherwise goes out (an enterprise's contact details). The error lands
 * at the field's path and sets no HTTP status, so the response stays 200 with the rest of the data: GraphQL over
 * HTTP wants a 2xx whenever `data` is present, and a client seeing 401 would drop the whole answer.
 */
export function requireRoleForField(caller: Caller | null, role: Role, action: string): Caller {
  return checkRole(caller, role, action, false);
}

function checkRole(caller: Caller | null, role: Role, action: string, httpStatus: boolean): Caller {
  const status = (code: number) => (httpStatus ? { http: { status: code } } : {});
  if (caller === null) {
    throw new AppError(
      ErrorCode.UNAUTHENTICATED,
      `${action} needs an API key or token with the ${role} role (Authorization: Bearer <credential>)`,
      httpStatus ? unauthorizedStatus() : {},
    );
  }
  if (RANK[caller.role] < RANK[role]) {
    throw new AppError(
      ErrorCode.FORBIDDEN,
      `${action} needs the ${role} role; '${caller.name}' has ${caller.role}`,
      status(403),
    );
  }
  return caller;
}
