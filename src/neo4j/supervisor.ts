import type { Logger } from '../logger.js';
import type { LocalNeo4jHandle, Neo4jExit } from './localNeo4j.js';

/**
 * Keeps the service's own local Neo4j running. Without it, a local Neo4j that dies (killed, out of memory, a
 * crash) leaves the service answering DATABASE_UNAVAILABLE forever, with nothing to restart the database and no
 * exit for a process supervisor to act on.
 *
 * When the JVM exits without stop() having been called, it is started again — by `start`, on the same store and
 * port, so the driver finds it where it was and the availability probe brings requests back by itself — after a
 * pause that doubles with each failure (1 s, 2 s, 4 s, … up to 30 s). Every attempt is logged. Failures count
 * until a started Neo4j has stayed up for `stableMs`, so a Neo4j that keeps dying soon after each start exhausts
 * the attempts too. After `maxAttempts` failures `onGiveUp` is called (the service then exits with status 1, so
 * that systemd, Docker or Kubernetes restarts the whole service). A Neo4j the service did not start (NEO4J_URI)
 * is never supervised.
 */

export interface SupervisorOptions {
  /** Starts the local Neo4j again on the same store and port. */
  readonly start: () => Promise<LocalNeo4jHandle>;
  readonly logger: Logger;
  /** Failed or short-lived restarts in a row before giving up. */
  readonly maxAttempts: number;
  /** Called once when the local Neo4j cannot be kept running; nothing is restarted after it. */
  readonly onGiveUp: (error: Error) => void;
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** How long a restarted Neo4j must stay up before its restart no longer counts as a failure. */
  readonly stableMs?: number;
}

const DEFAULT_FIRST_DELAY_MS = 1_000;
const DEFAULT_MAX_DELAY_MS = 30_000;
const DEFAULT_STABLE_MS = 60_000;

export class LocalNeo4jSupervisor {
  private current: LocalNeo4jHandle | undefined;
  private startedAt = Date.now();
  private failures = 0;
  private stopping = false;
  private gaveUp = false;
  private pause: { timer: NodeJS.Timeout; resolve: () => void } | undefined;
  /** The restart under way, if any; stop() waits for it so no JVM is left running. */
  private restarting: Promise<void> | undefined;

  constructor(
    first: LocalNeo4jHandle,
    private readonly options: SupervisorOptions,
  ) {
    this.watch(first);
  }

  /** The running Neo4j's pid, or undefined while it is being restarted. */
  get pid(): number | undefined {
    return this.current?.pid;
  }

  /** Stops supervising and shuts the current Neo4j down (an exit caused by this is not restarted). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.pause !== undefined) {
      clearTimeout(this.pause.timer);
      this.pause.resolve();
    }
    await this.restarting;
    await this.current?.stop();
  }

  private watch(handle: LocalNeo4jHandle): void {
    this.current = handle;
    void handle.exited.then((exit) => {
      if (this.stopping || this.current !== handle) return;
      this.current = undefined;
      this.options.logger.error(
        { pid: handle.pid, code: exit.code, signal: exit.signal },
        `The local Neo4j exited unexpectedly (${describeExit(exit)}); restarting it`,
      );
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    });
  }

  private async restart(): Promise<void> {
    const { logger, maxAttempts } = this.options;
    const firstDelay = this.options.firstDelayMs ?? DEFAULT_FIRST_DELAY_MS;
    const maxDelay = this.options.maxDelayMs ?? DEFAULT_MAX_DELAY_MS;
    if (Date.now() - this.startedAt >= (this.options.stableMs ?? DEFAULT_STABLE_MS)) this.failures = 0;
    let lastError: unknown;
    while (!this.stopping) {
      this.failures += 1;
      if (this.failures > maxAttempts) {
        this.giveUp(lastError);
        return;
      }
      const delay = Math.min(maxDelay, firstDelay * 2 ** (this.failures - 1));
      logger.warn(
        { attempt: this.failures, maxAttempts, delayMs: delay },
        `Restarting the local Neo4j in ${delay} ms (attempt ${this.failures} of ${maxAttempts})`,
      );
      await this.sleep(delay);
      if (this.stopping) return;
      try {
        const handle = await this.options.start();
        if (this.stopping) {
          await handle.stop();
          return;
        }
        this.startedAt = Date.now();
        logger.info(
          { attempt: this.failures, uri: handle.uri, pid: handle.pid },
          'The local Neo4j was restarted',
        );
        this.watch(handle);
        return;
      } catch (error) {
        lastError = error;
        logger.error(
          { err: error, attempt: this.failures, maxAttempts },
          `Restarting the local Neo4j failed (attempt ${this.failures} of ${maxAttempts}): ${(error as Error).message}`,
        );
      }
    }
  }

  private giveUp(lastError: unknown): void {
    if (this.gaveUp) return;
    this.gaveUp = true;
    const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
    this.options.onGiveUp(
      new Error(
        `The local Neo4j could not be kept running (${this.options.maxAttempts} restart attempts)${reason}`,
      ),
    );
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pause = undefined;
        resolve();
      }, ms);
      this.pause = { timer, resolve };
    });
  }
}

function describeExit(exit: Neo4jExit): string {
  return exit.signal !== null ? `killed by ${exit.signal}` : `exit code ${exit.code}`;
}
