import { z } from 'zod';

import { parseApiKeys, publicKeyOrNull, type ApiKeyEntry, type JwtConfig } from './auth.js';

/**
 * The one typed configuration object. Every setting comes from an environment variable, is validated once at
 * startup, and the rest of the code reads this object, never `process.env`. `.env.example` lists every variable.
 */

/**
 * The default of MAX_RESPONSE_ROWS, the most values one statement may return in the worst case. Set from
 * `npm run load -- --hostile`: at 500,000 a traversal of every segment of a chain with 100 firms each (an 830 KB
 * answer) was allowed and held the event loop for 0.15–0.47 s, pushing /health's p99 past 250 ms; at 300,000 the
 * largest such answer is about 480 KB (under 0.1 s) and /health's p99 was 136 ms. The largest saved operation
 * (map-chain) needs about 200,000.
 */
export const DEFAULT_MAX_RESPONSE_ROWS = 300_000;
/**
 * The defaults of LIST_ANCHOR_LIMIT (a connection filtered by a region with at most this many things located in it
 * reads them all and sorts them; `totalCount` counts among at most this many) and LIST_SCAN_LIMIT (the most nodes a
 * page reads in index order before it stops short): each bounds what one page can read, whatever the size of the
 * graph (src/data/graph/queries.ts readConnection). At 20,000 a graph the size of the plan with the national firm
 * base (about 5,500 firms) never sees a short page; at a million firms a page that finds nothing reads 20,000.
 */
export const DEFAULT_LIST_ANCHOR_LIMIT = 20_000;
export const DEFAULT_LIST_SCAN_LIMIT = 20_000;

/**
 * The SUPPLIES links in a firm must have for the refresh to keep a summary of them (a HubSupply node per home, see
 * src/analytics/aggregates.ts hubSummariesFrom), which a scenario leaving the firm out reads instead of walking every
 * supplier. The generator, like real supply networks, gives a few firms most links, and their number grows with the
 * store: at 1,000,000 firms, 4,204 firms with 64 or more links in hold 2,051,889 of the 2,990,865 links, the largest
 * 76,827 (at 200,000 firms: 1,050 hold 365,346 of 593,486). Losing a firm with 63,212 walked all of them: 1.4–2.3 s.
 * Below the threshold a scenario walks at most 63 links into each of its firms. A hub none of whose links counts (it
 * operates in no segment, or none of its suppliers' segments feeds one of its segments) has no rows to keep, and is
 * still walked.
 */
export const HUB_MIN_SUPPLY_LINKS = 64;

const NEO4J_SCHEMES = ['bolt', 'bolt+s', 'bolt+ssc', 'neo4j', 'neo4j+s', 'neo4j+ssc'] as const;

const integer = (min: number, max: number) => {
  const message = `expected a whole number from ${min} to ${max}`;
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/, { message })
    .transform(Number)
    .pipe(z.number().int().min(min, { message }).max(max, { message }));
};

const boolean = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'expected true or false' })
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const neo4jUri = z
  .string()
  .trim()
  .refine(
    (value) => {
      try {
        const url = new URL(value);
        return (
          (NEO4J_SCHEMES as readonly string[]).includes(url.protocol.slice(0, -1)) && url.hostname !== ''
        );
      } catch {
        return false;
      }
    },
    {
      message: `expected a URI like bolt://host:7687 or neo4j+s://host (schemes: ${NEO4J_SCHEMES.join(', ')})`,
    },
  );

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().trim().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(4000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_FORMAT: z
    .enum(['auto', 'pretty', 'json'], { message: 'expected auto, pretty or json' })
    .default('auto'),
  // The no-color.org convention: any non-empty value turns colours off.
  NO_COLOR: z.string().optional(),

  NEO4J_URI: neo4jUri.optional(),
  NEO4J_USER: z.string().min(1).default('neo4j'),
  NEO4J_PASSWORD: z.string().optional(),
  NEO4J_DATABASE: z.string().trim().min(1).default('neo4j'),
  NEO4J_TX_TIMEOUT_MS: integer(100, 600_000).default(15_000),
  NEO4J_CONNECT_TIMEOUT_MS: integer(100, 600_000).default(5_000),
  REQUEST_TIMEOUT_MS: integer(100, 600_000).default(20_000),
  AGGREGATE_WAIT_MS: integer(0, 600_000).default(5_000),
  AGGREGATE_POLL_MS: integer(0, 3_600_000).default(2_000),
  AGGREGATE_REFRESH_TIMEOUT_MS: integer(1_000, 86_400_000).default(1_800_000),
  ANALYTICS_STRUCTURE_TTL_MS: integer(1_000, 86_400_000).default(60_000),
  MAX_SCENARIO_FIRMS: integer(1, 1_000_000).default(500),
  AGGREGATE_HUB_MIN_LINKS: integer(1, 1_000_000_000).default(HUB_MIN_SUPPLY_LINKS),
  MAX_RESILIENCE_LINKS: integer(1, 1_000_000).default(5_000),

  NEO4J_LOCAL_DATA_DIR: z.string().trim().min(1).default('.data/neo4j'),
  // No default here: whether it was set decides what happens when the port is taken (see localNeo4j.ts).
  NEO4J_LOCAL_PORT: integer(0, 65535).optional(),
  NEO4J_LOCAL_HEAP_MB: integer(128, 65_536).default(1024),
  NEO4J_LOCAL_PAGECACHE_MB: integer(16, 65_536).default(512),
  NEO4J_LOCAL_START_TIMEOUT_MS: integer(1_000, 900_000).default(180_000),
  NEO4J_LOCAL_RESTART_ATTEMPTS: integer(0, 100).default(5),

  SEED_WHEN_EMPTY: boolean.default(true),
  EXPLORER_ENABLED: boolean.optional(),
  INTROSPECTION_ENABLED: boolean.optional(),
  MAX_PAGE_SIZE: integer(1, 10_000).default(100),
  MAX_TRAVERSAL_DEPTH: integer(1, 12).default(6),
  MAX_QUERY_DEPTH: integer(2, 50).default(10),
  MAX_QUERY_COST: integer(100, 10_000_000_000).default(100_000),
  MAX_QUERY_ALIASES: integer(0, 1_000).default(15),
  MAX_QUERY_DIRECTIVES: integer(0, 1_000).default(20),
  MAX_QUERY_TOKENS: integer(100, 1_000_000).default(2_000),
  MAX_BATCH_SIZE: integer(1, 100).default(10),
  MAX_VARIABLE_VALUES: integer(10, 10_000_000).default(10_000),
  MAX_BODY_BYTES: integer(1_024, 100_000_000).default(2_000_000),
  MAX_ID_LENGTH: integer(16, 100_000).default(200),
  MAX_STRING_ARGUMENT_LENGTH: integer(100, 1_000_000).default(2_000),
  MAX_RESPONSE_ROWS: integer(1_000, 1_000_000_000).default(DEFAULT_MAX_RESPONSE_ROWS),
  LIST_ANCHOR_LIMIT: integer(0, 10_000_000).default(DEFAULT_LIST_ANCHOR_LIMIT),
  LIST_SCAN_LIMIT: integer(1, 10_000_000).default(DEFAULT_LIST_SCAN_LIMIT),
  ADMISSION_CHEAP_MAX_COST: integer(0, 10_000_000).default(2_500),
  ADMISSION_CHEAP_MAX_BYTES: integer(0, 100_000_000).default(65_536),
  ADMISSION_CHEAP_CONCURRENCY: integer(1, 10_000).default(64),
  ADMISSION_CHEAP_QUEUE: integer(0, 100_000).default(512),
  ADMISSION_EXPENSIVE_CONCURRENCY: integer(1, 1_000).default(1),
  ADMISSION_EXPENSIVE_QUEUE: integer(0, 10_000).default(64),
  ADMISSION_EXPENSIVE_IDLE_EXTRA: integer(0, 1_000).default(1),
  ADMISSION_EXPENSIVE_IDLE_QUIET_MS: integer(0, 600_000).default(250),
  ADMISSION_MAX_WAIT_MS: integer(0, 600_000).default(5_000),
  API_KEYS: z
    .string()
    .optional()
    .superRefine((value, context) => {
      try {
        parseApiKeys(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
      }
    }),
  JWT_SECRET: z
    .string()
    .min(32, { message: 'expected at least 32 characters (an HMAC secret for HS256 tokens)' })
    .optional(),
  JWT_PUBLIC_KEY: z
    .string()
    .optional()
    .refine((value) => value === undefined || publicKeyOrNull(value) !== null, {
      message: 'expected a PEM public key (-----BEGIN PUBLIC KEY-----) for RS256 or ES256 tokens',
    }),
  JWT_ISSUER: z.string().trim().min(1).optional(),
  JWT_AUDIENCE: z.string().trim().min(1).optional(),
  JWT_ROLES_CLAIM: z.string().trim().min(1).default('roles'),
  JWT_MAX_LIFETIME_S: integer(60, 31_536_000).default(86_400),
  READ_ACCESS: z.enum(['public', 'key'], { message: "expected 'public' or 'key'" }).default('public'),
  TARGET_PRIORITY_REGIONS: z
    .string()
    .trim()
    .regex(/^[a-z0-9-]+(,[a-z0-9-]+)*$/, {
      message: 'expected comma-separated region ids such as beijing,tianjin,hebei',
    })
    .default('beijing,tianjin,hebei'),
  TARGET_SCAN_LIMIT: integer(1, 10_000_000).default(20_000),
  TARGET_LINK_LIMIT: integer(0, 10_000_000).default(60_000),
  TARGET_LINK_FIRMS_LIMIT: integer(0, 10_000_000).default(20_000),
});

export interface LocalNeo4jConfig {
  readonly dataDir: string;
  readonly port: number;
  readonly heapMb: number;
  readonly pageCacheMb: number;
  readonly startTimeoutMs: number;
  readonly txTimeoutSeconds: number;
  /**
   * True when the port is only the default (NEO4J_LOCAL_PORT unset): if it is taken, a free port is used instead.
   * A port the user chose is never swapped for another.
   */
  readonly portFallback?: boolean;
  /** Restarts tried, with backoff, when the local Neo4j dies under the running service (see supervisor.ts). */
  readonly restartAttempts?: number;
}

export interface Config {
  readonly environment: 'development' | 'production' | 'test';
  readonly http: { readonly host: string; readonly port: number };
  readonly logLevel: string;
  /**
   * `pretty`: one readable line per record (tables for lists of records); `json`: JSON lines for log collectors;
   * `auto`: pretty when standard output is a terminal, JSON otherwise (see src/logger.ts).
   */
  readonly logFormat: 'auto' | 'pretty' | 'json';
  /** NO_COLOR is set: pretty logs stay uncoloured even on a terminal. */
  readonly noColor: boolean;
  /**
   * Wall-clock budget of one GraphQL request, driver connection acquisition included: past it, the request's
   * statements fail with TIMEOUT (see executor.ts).
   */
  readonly requestTimeoutMs: number;
  readonly neo4j: {
    /** Undefined means: start the project's own local Neo4j. */
    readonly uri: string | undefined;
    readonly user: string;
    readonly password: string | undefined;
    readonly database: string;
    readonly txTimeoutMs: number;
    readonly connectTimeoutMs: number;
  };
  readonly localNeo4j: LocalNeo4jConfig;
  readonly seedWhenEmpty: boolean;
  readonly explorerEnabled: boolean;
  readonly introspectionEnabled: boolean;
  readonly limits: {
    readonly maxPageSize: number;
    readonly maxTraversalDepth: number;
    /**
     * The most values one Cypher statement may return in the worst case (the product of its nested LIMITs and
     * paths); the translator refuses anything larger before it runs (src/data/graph/translate.ts).
     */
    readonly maxResponseRows: number;
    /** LIST_ANCHOR_LIMIT and LIST_SCAN_LIMIT (DEFAULT_LIST_ANCHOR_LIMIT, DEFAULT_LIST_SCAN_LIMIT). */
    readonly listAnchorLimit: number;
    readonly listScanLimit: number;
    /** Shape limits checked before an operation runs (see src/graphql/guardrails.ts). */
    readonly query: {
      readonly maxDepth: number;
      readonly maxCost: number;
      readonly maxAliases: number;
      readonly maxDirectives: number;
      readonly maxTokens: number;
    };
    /** Most operations in one batched HTTP request (a JSON array body). */
    readonly maxBatchSize: number;
    /** Most JSON values (list items, object fields, scalars) the variables of one HTTP request may hold. */
    readonly maxVariableValues: number;
    /** Largest request body accepted, in bytes. */
    readonly maxBodyBytes: number;
    /** Longest ID and String argument values, in characters (see src/graphql/argumentLimits.ts). */
    readonly arguments: {
      readonly maxIdLength: number;
      /** Cursors (`after`) and search text; an import's `content` is bounded by maxBodyBytes instead. */
      readonly maxStringLength: number;
    };
  };
  readonly access: {
    /** Hashed API keys with their roles. */
    readonly apiKeys: readonly ApiKeyEntry[];
    /** Bearer JWTs are accepted when a secret or public key is configured. */
    readonly jwt: JwtConfig | undefined;
    /** `public`: anyone may read; `key`: reads need a valid key or token too. Writes always need the editor role. */
    readonly reads: 'public' | 'key';
  };
  /** Cost-aware admission control: two lanes by price (see src/graphql/admission.ts). */
  readonly admission: {
    readonly cheapMaxCost: number;
    readonly cheapMaxBytes: number;
    readonly cheap: { readonly concurrency: number; readonly queue: number };
    /** `idleExtra`: slots on top of `concurrency` once the cheap lane has been idle for `idleQuietMs`. */
    readonly expensive: {
      readonly concurrency: number;
      readonly queue: number;
      readonly idleExtra: number;
      readonly idleQuietMs: number;
    };
    readonly maxWaitMs: number;
  };
  /** Regions whose firms rank first on proximity in target-firm ranking (the plan's Beijing–Tianjin–Hebei focus). */
  readonly priorityRegionIds: readonly string[];
  /** The analytics aggregates (src/analytics/aggregates.ts) and how current answers must be. */
  readonly aggregates: {
    /** How long an analytics request waits for pending writes to be folded in before answering from older counts. */
    readonly waitMs: number;
    /** How often the service checks for writes made by other processes (0: only when a request comes). */
    readonly pollMs: number;
    /** Transaction timeout of one refresh (a full rebuild at a million firms takes minutes). */
    readonly refreshTimeoutMs: number;
    /**
     * How long a cached chain structure is trusted without a version change, which writes made outside this service
     * do not make (src/analytics/structureCache.ts); one in use is read again in the background from half that age.
     */
    readonly structureTtlMs: number;
    /** The SUPPLIES links in that make a firm a hub whose links the refresh summarises (HUB_MIN_SUPPLY_LINKS). */
    readonly hubMinLinks: number;
    /** Most local firms `impactOfLosing` may leave out for a segment (and `chainResilience` may read in a chain). */
    readonly maxScenarioFirms: number;
    /** Most local supply links among a chain's local firms `chainResilience` may read. */
    readonly maxResilienceLinks: number;
  };
  /** The most rank-index rows one targetFirms request may read before it is refused (src/analytics/candidates.ts). */
  readonly targetScanLimit: number;
  /**
   * The most supply links of a targetFirms region's firms it lists, to read the firms linked to it before walking
   * (src/analytics/candidates.ts); 0 turns that read off.
   */
  readonly targetLinkLimit: number;
  /**
   * The most firms a targetFirms region may have for that read to be tried at all: a larger region is refused from
   * its relationship degrees alone, before the supply degrees of its firms are summed.
   */
  readonly targetLinkFirmsLimit: number;
}

/** Neo4j's usual Bolt port; taken when another Neo4j (or Neo4j Desktop) runs, then a free one is used. */
const DEFAULT_LOCAL_NEO4J_PORT = 7687;

const SECRET_VARIABLES = new Set(['NEO4J_PASSWORD', 'JWT_SECRET']);

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function jwtConfig(env: z.infer<typeof environmentSchema>): JwtConfig | undefined {
  if (env.JWT_SECRET !== undefined && env.JWT_PUBLIC_KEY !== undefined) {
    // Accepting both would let a holder of the secret mint tokens the public-key setup was meant to prevent.
    throw new ConfigError(
      'Invalid configuration: JWT_SECRET and JWT_PUBLIC_KEY are both set; set one of them',
    );
  }
  const publicKey = env.JWT_PUBLIC_KEY === undefined ? null : publicKeyOrNull(env.JWT_PUBLIC_KEY);
  const common = {
    issuer: env.JWT_ISSUER,
    audience: env.JWT_AUDIENCE,
    rolesClaim: env.JWT_ROLES_CLAIM,
    maxLifetimeSeconds: env.JWT_MAX_LIFETIME_S,
  };
  if (publicKey !== null) return { ...common, key: publicKey, algorithms: ['RS256', 'ES256'] };
  if (env.JWT_SECRET !== undefined) {
    return { ...common, key: new TextEncoder().encode(env.JWT_SECRET), algorithms: ['HS256'] };
  }
  return undefined;
}

/** Validates the environment; throws a ConfigError whose message names every bad variable and what it expects. */
export function loadConfig(environment: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings mean "unset" so that a blank line in an .env file falls back to the default.
  const present = Object.fromEntries(
    Object.entries(environment).filter(([key, value]) => key in environmentSchema.shape && value !== ''),
  );
  const parsed = environmentSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = issue.path.join('.');
      // Secrets never reach a log line, not even a wrong one.
      const shown = SECRET_VARIABLES.has(variable) ? '(hidden)' : JSON.stringify(present[variable] ?? '');
      return `${variable}=${shown}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  const env = parsed.data;
  const production = env.NODE_ENV === 'production';
  return {
    environment: env.NODE_ENV,
    http: { host: env.HOST, port: env.PORT },
    logLevel: env.LOG_LEVEL,
    logFormat: env.LOG_FORMAT,
    noColor: env.NO_COLOR !== undefined,
    requestTimeoutMs: env.REQUEST_TIMEOUT_MS,
    neo4j: {
      uri: env.NEO4J_URI,
      user: env.NEO4J_USER,
      password: env.NEO4J_PASSWORD,
      database: env.NEO4J_DATABASE,
      txTimeoutMs: env.NEO4J_TX_TIMEOUT_MS,
      connectTimeoutMs: env.NEO4J_CONNECT_TIMEOUT_MS,
    },
    localNeo4j: {
      dataDir: env.NEO4J_LOCAL_DATA_DIR,
      port: env.NEO4J_LOCAL_PORT ?? DEFAULT_LOCAL_NEO4J_PORT,
      portFallback: env.NEO4J_LOCAL_PORT === undefined,
      restartAttempts: env.NEO4J_LOCAL_RESTART_ATTEMPTS,
      heapMb: env.NEO4J_LOCAL_HEAP_MB,
      pageCacheMb: env.NEO4J_LOCAL_PAGECACHE_MB,
      startTimeoutMs: env.NEO4J_LOCAL_START_TIMEOUT_MS,
      // The server-side limit is a backstop above the per-transaction timeout the executor sets.
      txTimeoutSeconds: Math.ceil(env.NEO4J_TX_TIMEOUT_MS / 1000) * 4,
    },
    seedWhenEmpty: env.SEED_WHEN_EMPTY,
    // In production the explorer and introspection are off unless asked for explicitly.
    explorerEnabled: env.EXPLORER_ENABLED ?? !production,
    introspectionEnabled: env.INTROSPECTION_ENABLED ?? !production,
    limits: {
      maxPageSize: env.MAX_PAGE_SIZE,
      maxTraversalDepth: env.MAX_TRAVERSAL_DEPTH,
      maxResponseRows: env.MAX_RESPONSE_ROWS,
      listAnchorLimit: env.LIST_ANCHOR_LIMIT,
      listScanLimit: env.LIST_SCAN_LIMIT,
      query: {
        maxDepth: env.MAX_QUERY_DEPTH,
        maxCost: env.MAX_QUERY_COST,
        maxAliases: env.MAX_QUERY_ALIASES,
        maxDirectives: env.MAX_QUERY_DIRECTIVES,
        maxTokens: env.MAX_QUERY_TOKENS,
      },
      maxBatchSize: env.MAX_BATCH_SIZE,
      maxVariableValues: env.MAX_VARIABLE_VALUES,
      maxBodyBytes: env.MAX_BODY_BYTES,
      arguments: { maxIdLength: env.MAX_ID_LENGTH, maxStringLength: env.MAX_STRING_ARGUMENT_LENGTH },
    },
    admission: {
      cheapMaxCost: env.ADMISSION_CHEAP_MAX_COST,
      cheapMaxBytes: env.ADMISSION_CHEAP_MAX_BYTES,
      cheap: { concurrency: env.ADMISSION_CHEAP_CONCURRENCY, queue: env.ADMISSION_CHEAP_QUEUE },
      expensive: {
        concurrency: env.ADMISSION_EXPENSIVE_CONCURRENCY,
        queue: env.ADMISSION_EXPENSIVE_QUEUE,
        idleExtra: env.ADMISSION_EXPENSIVE_IDLE_EXTRA,
        idleQuietMs: env.ADMISSION_EXPENSIVE_IDLE_QUIET_MS,
      },
      maxWaitMs: env.ADMISSION_MAX_WAIT_MS,
    },
    priorityRegionIds: env.TARGET_PRIORITY_REGIONS.split(','),
    aggregates: {
      waitMs: env.AGGREGATE_WAIT_MS,
      pollMs: env.AGGREGATE_POLL_MS,
      refreshTimeoutMs: env.AGGREGATE_REFRESH_TIMEOUT_MS,
      structureTtlMs: env.ANALYTICS_STRUCTURE_TTL_MS,
      hubMinLinks: env.AGGREGATE_HUB_MIN_LINKS,
      maxScenarioFirms: env.MAX_SCENARIO_FIRMS,
      maxResilienceLinks: env.MAX_RESILIENCE_LINKS,
    },
    targetScanLimit: env.TARGET_SCAN_LIMIT,
    targetLinkLimit: env.TARGET_LINK_LIMIT,
    targetLinkFirmsLimit: env.TARGET_LINK_FIRMS_LIMIT,
    access: { apiKeys: parseApiKeys(env.API_KEYS), jwt: jwtConfig(env), reads: env.READ_ACCESS },
  };
}
