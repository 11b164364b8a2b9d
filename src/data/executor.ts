import { Neo4jError, type Driver, type Result } from 'neo4j-driver';

import { AppError, ErrorCode } from '../errors.js';

import { AvailabilityMonitor } from './availability.js';
import { compactCypher, type CypherQuery } from './cypher.js';
import { toPlain } from './convert.js';
import {
  databaseUnavailable,
  deadlineExceeded,
  isDatabaseUnreachable,
  isNoConnectionInTime,
  mapDriverError,
} from './errors.js';

export type Row = Record<string, unknown>;

/** Told about every statement sent to Neo4j; tests count round trips with it. */
export type QueryObserver = (event: {
  operation: string;
  mode: 'READ' | 'WRITE';
  query: CypherQuery;
}) => void;

export interface ExecutorOptions {
  readonly database: string;
  readonly txTimeoutMs: number;
  readonly appName: string;
  /** How long a statement keeps retrying transient failures such as deadlocks (default 10 s). */
  readonly maxRetryTimeMs?: number;
  /** Pause between two probes while Neo4j is unreachable (default 500 ms). */
  readonly probeIntervalMs?: number;
  /**
   * How long a probe waits for Neo4j's answer before counting it as no answer (default 5 s). A server that is
   * frozen (SIGSTOP, a long GC pause, a hung VM) accepts connections and never replies; only a timer notices.
   */
  readonly probeTimeoutMs?: number;
  /** Told when Neo4j becomes unreachable (with the failure) and when it answers again; the service logs it. */
  readonly onAvailabilityChange?: (available: boolean, reason?: unknown) => void;
}

/** Runs one statement of the attempt: in its explicit transaction, or as an auto-commit transaction of its own. */
type RunStatement = (cypher: string, params: Record<string, unknown>) => Result;
type Work<T> = (run: RunStatement) => Promise<T>;

/** A request's wall-clock budget: its statements must be done by `at` (epoch ms); `ms` is the budget, for messages. */
export interface Deadline {
  readonly at: number;
  readonly ms: number;
}

/** Raised by the JavaScript-side timer when Neo4j has not answered in time; never reaches a client as such. */
class NoAnswerInTime extends Error {
  override readonly name = 'NoAnswerInTime';
  constructor(readonly ms: number) {
    super(`Neo4j did not answer within ${ms} ms`);
  }
}

/**
 * Settles with the promise, or rejects with NoAnswerInTime after `ms`. The promise itself cannot be cancelled (the
 * driver has no way to abandon a statement on a server that does not answer); it runs on and is left to settle,
 * its session closing when it does. Promise.race keeps its eventual rejection from being unhandled.
 */
function withinTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expiry = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new NoAnswerInTime(ms)), ms);
  });
  return Promise.race([promise, expiry]).finally(() => clearTimeout(timer));
}

const DEFAULT_MAX_RETRY_TIME_MS = 10_000;
const DEFAULT_PROBE_INTERVAL_MS = 500;
const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
const FIRST_RETRY_DELAY_MS = 100;
const PING: CypherQuery = { cypher: 'RETURN 1 AS ok', params: {} };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Calls `start` (a driver call that makes a Result) with stack capture off. The driver's Result captures a stack
 * trace in its constructor (`new Error('').stack`, formatted through the source-map support tsx installs) to graft
 * onto a failure later: 3.6 % of the service's CPU under the benchmark (bench/results/profile-after.md), on every
 * statement, for a trace that would only name this file's call site. Our errors never show driver stacks to clients
 * (src/data/errors.ts maps them), and a logged driver failure keeps its message and code. Synchronous, so no other
 * code runs while the limit is 0.
 */
function withoutStackCapture<T>(start: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return start();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * The only code that talks to Neo4j. Always names the database, sets a transaction timeout and metadata (visible
 * in Neo4j's query log), closes sessions, converts values to plain JavaScript and maps driver errors once.
 * One instance per process; `forRequest` derives a per-request view that reports to an observer.
 *
 * It runs explicit transactions and does its own retrying rather than use the driver's managed transactions
 * (`executeRead`/`executeWrite`), whose retry loop cannot be told that the database is gone: every request would
 * wait out the whole retry time (the first retry alone comes after a second) before failing. Here transient
 * failures such as deadlocks are retried with backoff, while a database that cannot be reached is retried once, at
 * once (a pooled connection may have gone stale, a cluster member may have changed role), and then marked
 * unavailable: later statements fail with DATABASE_UNAVAILABLE without touching the driver until the availability
 * probe gets an answer (see availability.ts).
 *
 * A per-request view may carry a deadline (`forRequest`). Each of its statements then gets the smaller of the
 * transaction timeout and what is left of the deadline as its server-side timeout, and a JavaScript timer over
 * the whole attempt — acquiring a pooled connection, connecting, BEGIN, the statement, COMMIT — because a server
 * that is frozen or unreachable enforces nothing. Past the deadline a statement fails with TIMEOUT (no statement
 * starts once it has passed), and the availability monitor is asked to verify that Neo4j still answers, so that
 * an unresponsive database is marked unavailable and later requests fail fast with DATABASE_UNAVAILABLE. A write
 * that timed out this way may still be applied once the server answers again; writes are idempotent (see write).
 */
export class Executor {
  /** One per process, shared with every per-request view. */
  private readonly availability: AvailabilityMonitor;

  constructor(
    private readonly driver: Driver,
    private readonly options: ExecutorOptions,
    private readonly observer?: QueryObserver,
    private readonly requestId?: string,
    availability?: AvailabilityMonitor,
    private readonly deadline?: Deadline,
  ) {
    this.availability =
      availability ??
      new AvailabilityMonitor(() => this.probe(options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS), {
        probeIntervalMs: options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS,
        onChange: options.onAvailabilityChange,
      });
  }

  /**
   * A view for one request. With `timeoutMs`, its statements share a wall-clock deadline of that many ms from
   * `startedAt` (default: now).
   */
  forRequest(
    requestId: string,
    observer?: QueryObserver,
    limits?: { readonly timeoutMs: number; readonly startedAt?: number },
  ): Executor {
    const deadline =
      limits === undefined
        ? this.deadline
        : { at: (limits.startedAt ?? Date.now()) + limits.timeoutMs, ms: limits.timeoutMs };
    return new Executor(
      this.driver,
      this.options,
      observer ?? this.observer,
      requestId,
      this.availability,
      deadline,
    );
  }

  get database(): string {
    return this.options.database;
  }

  /** False from the moment a statement finds Neo4j unreachable until a probe gets an answer again. */
  get available(): boolean {
    return this.availability.available;
  }

  /** Runs one read statement and returns its rows as plain objects. */
  read(operation: string, query: CypherQuery): Promise<Row[]> {
    return this.run('READ', operation, (run) => this.runInTransaction(run, operation, 'READ', query), {
      autoCommit: true,
    });
  }

  /**
   * Runs one write statement. It may run more than once — after a deadlock, or after a connection lost during
   * commit, when the first run may or may not have been committed — so it must be idempotent (MERGE by id).
   */
  write(operation: string, query: CypherQuery): Promise<Row[]> {
    return this.run('WRITE', operation, (run) => this.runInTransaction(run, operation, 'WRITE', query), {
      autoCommit: true,
    });
  }

  /**
   * One write transaction whose later statements depend on earlier results computed in JavaScript (the analytics
   * aggregate refresh reads, counts, then writes; an upsert records what it touched). Retried as a whole on transient
   * failures, so `work` must be idempotent. `timeoutMs` replaces the transaction timeout for maintenance work that is
   * known to take longer than a request's statements.
   */
  transaction<T>(
    operation: string,
    work: (run: (query: CypherQuery) => Promise<Row[]>) => Promise<T>,
    options: { readonly timeoutMs?: number } = {},
  ): Promise<T> {
    return this.run(
      'WRITE',
      operation,
      (run) => work((query) => this.runInTransaction(run, operation, 'WRITE', query)),
      { txTimeoutMs: options.timeoutMs },
    );
  }

  /**
   * Verifies that the database answers (used by /ready and at startup). Unlike the other calls it always asks
   * Neo4j, even while the database is marked unavailable, so readiness is never stale; its answer updates the mark.
   * With `timeoutMs`, no answer within that time fails it with DATABASE_UNAVAILABLE; the monitor then verifies
   * with its own, longer probe before marking the database unavailable for everyone (a busy server may be slow to
   * answer a readiness check and still serve requests).
   */
  async ping(timeoutMs?: number): Promise<void> {
    try {
      const answer = this.attempt('READ', 'ping', (run) => this.runInTransaction(run, 'ping', 'READ', PING));
      await (timeoutMs === undefined ? answer : withinTime(answer, timeoutMs));
    } catch (error) {
      if (error instanceof NoAnswerInTime) {
        this.availability.verify(error);
        throw databaseUnavailable();
      }
      if (isDatabaseUnreachable(error)) this.availability.markUnavailable(error);
      throw mapDriverError(error);
    }
    this.availability.markAvailable();
  }

  /** Stops the availability probe. Call before closing the driver. */
  close(): void {
    this.availability.close();
  }

  private async probe(timeoutMs: number): Promise<void> {
    await withinTime(
      this.attempt('READ', 'availability-probe', (run) => run(PING.cypher, PING.params)),
      timeoutMs,
    );
  }

  /**
   * Runs one statement and converts its records as they stream in. Streamed rather than awaited: an awaited Result
   * keeps its records, and an explicit transaction keeps every Result it ran until it ends, so a long transaction
   * held every record of every statement: the aggregates' rebuild (hundreds of count statements in one transaction)
   * held every count row it read, in proportion to the firms, and its peak of live heap at 200,000 firms fell from
   * 430 to 296 MB once it no longer did.
   */
  private runInTransaction(
    run: RunStatement,
    operation: string,
    mode: 'READ' | 'WRITE',
    query: CypherQuery,
  ): Promise<Row[]> {
    this.observer?.({ operation, mode, query });
    const rows: Row[] = [];
    return new Promise((resolve, reject) => {
      run(compactCypher(query.cypher), query.params).subscribe({
        onNext: (record) => rows.push(toPlain(record.toObject()) as Row),
        onCompleted: () => resolve(rows),
        onError: reject,
      });
    });
  }

  private async run<T>(
    mode: 'READ' | 'WRITE',
    operation: string,
    work: Work<T>,
    attemptOptions: { readonly txTimeoutMs?: number; readonly autoCommit?: boolean } = {},
  ): Promise<T> {
    const { availability, options, deadline } = this;
    const retryUntil = Math.min(
      Date.now() + (options.maxRetryTimeMs ?? DEFAULT_MAX_RETRY_TIME_MS),
      deadline?.at ?? Infinity,
    );
    let unreachableBefore = false;
    for (let delay = FIRST_RETRY_DELAY_MS; ; delay *= 2) {
      if (!availability.available) throw databaseUnavailable();
      const remaining = deadline === undefined ? undefined : deadline.at - Date.now();
      if (deadline !== undefined && remaining !== undefined && remaining <= 0) {
        throw deadlineExceeded(deadline.ms);
      }
      try {
        const attempt = this.attempt(
          mode,
          operation,
          work,
          remaining,
          attemptOptions.txTimeoutMs,
          attemptOptions.autoCommit,
        );
        return await (remaining === undefined ? attempt : withinTime(attempt, remaining));
      } catch (error) {
        if (error instanceof NoAnswerInTime || isNoConnectionInTime(error)) {
          // Either the statement is slow or Neo4j has stopped answering; the monitor tells the two apart.
          availability.verify(error);
          if (deadline !== undefined && (error instanceof NoAnswerInTime || Date.now() >= deadline.at)) {
            throw deadlineExceeded(deadline.ms);
          }
          throw mapDriverError(error);
        }
        if (isDatabaseUnreachable(error)) {
          if (unreachableBefore) {
            availability.markUnavailable(error);
            throw mapDriverError(error);
          }
          unreachableBefore = true;
          continue;
        }
        // Jitter spreads out transactions that deadlocked with each other, so they do not collide again.
        const pause = delay * (0.8 + Math.random() * 0.4);
        if (!(error instanceof Neo4jError && error.retryable) || Date.now() + pause > retryUntil) {
          // The server's own timeout, cut short to what was left of the request's deadline, says so.
          if (deadline !== undefined && Date.now() >= deadline.at) {
            const mapped = mapDriverError(error);
            if (mapped instanceof AppError && mapped.code === ErrorCode.TIMEOUT)
              throw deadlineExceeded(deadline.ms);
          }
          throw mapDriverError(error);
        }
        await sleep(pause);
      }
    }
  }

  /**
   * One transaction: begin, the work, commit; rolled back on any failure. Errors come back unmapped. `timeLimitMs`
   * (what is left of the request's deadline) caps the server-side transaction timeout.
   *
   * `autoCommit` (a single statement: read, write) runs the statement as an auto-commit transaction instead, with the
   * same timeout and metadata: one RUN, where an explicit transaction costs a BEGIN and a COMMIT on top — each a Bolt
   * message flushed on its own, about a third of the driver's CPU per statement in bench/results/profile-before.md.
   * A single statement commits or fails as a whole either way, and the retry loop (`run`) treats both alike.
   */
  private async attempt<T>(
    mode: 'READ' | 'WRITE',
    operation: string,
    work: Work<T>,
    timeLimitMs?: number,
    txTimeoutMs = this.options.txTimeoutMs,
    autoCommit = false,
  ): Promise<T> {
    const { driver, options } = this;
    const session = driver.session({ database: options.database, defaultAccessMode: mode });
    try {
      const config = {
        timeout:
          timeLimitMs === undefined
            ? txTimeoutMs
            : Math.max(1, Math.min(txTimeoutMs, Math.ceil(timeLimitMs))),
        metadata: {
          app: options.appName,
          operation,
          ...(this.requestId ? { requestId: this.requestId } : {}),
        },
      };
      if (autoCommit)
        return await work((cypher, params) => withoutStackCapture(() => session.run(cypher, params, config)));
      const tx = await session.beginTransaction(config);
      try {
        const result = await work((cypher, params) => withoutStackCapture(() => tx.run(cypher, params)));
        await tx.commit();
        return result;
      } catch (error) {
        // The rollback's own failure (the connection is gone) says nothing the first error does not.
        if (tx.isOpen()) await tx.rollback().catch(() => undefined);
        throw error;
      }
    } finally {
      // Closing may fail the same way on a dead connection; it must not replace the error being thrown.
      await session.close().catch(() => undefined);
    }
  }
}
