/**
 * Whether Neo4j is reachable, as the Executor last saw it.
 *
 * Without this, every request made while Neo4j is down waits for its own connection attempts and retries before it
 * fails, so clients hang and the service piles up work. Instead, the first statement that finds the database
 * unreachable marks it unavailable; from then on statements fail at once without touching the driver, and a single
 * background probe asks Neo4j every `probeIntervalMs` whether it is back. The first probe that gets an answer marks
 * it available again, so the service recovers by itself, without a restart.
 *
 * The monitor knows nothing about Neo4j: the Executor decides which failures mean "unreachable" and supplies the
 * probe. States: available → (markUnavailable) → unavailable, probing → (a probe answers, or markAvailable) →
 * available. After close() nothing is probed any more.
 */

export interface AvailabilityOptions {
  /** Pause between two probes while the database is unavailable. */
  readonly probeIntervalMs: number;
  /** Told about every change of state, with the failure that caused a change to unavailable. */
  readonly onChange?: ((available: boolean, reason?: unknown) => void) | undefined;
}

export class AvailabilityMonitor {
  private isAvailable = true;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private probing = false;
  private verifying = false;

  constructor(
    private readonly probe: () => Promise<void>,
    private readonly options: AvailabilityOptions,
  ) {}

  get available(): boolean {
    return this.isAvailable;
  }

  /** A statement (or a readiness check) found the database unreachable: fail fast and start probing. */
  markUnavailable(reason?: unknown): void {
    if (this.closed) return;
    if (this.isAvailable) {
      this.isAvailable = false;
      this.options.onChange?.(false, reason);
    }
    this.scheduleProbe();
  }

  /**
   * Something hints that the database stopped answering without saying so (a statement outlived its deadline, no
   * pooled connection came free): ask it once, now, and mark it unavailable if the probe fails. A database that
   * answers stays available — a slow query is not an outage. At most one such check runs at a time.
   */
  verify(reason?: unknown): void {
    if (this.closed || !this.isAvailable || this.verifying) return;
    this.verifying = true;
    this.probe().then(
      () => {
        this.verifying = false;
      },
      () => {
        this.verifying = false;
        this.markUnavailable(reason);
      },
    );
  }

  /** The database answered: let statements through again and stop probing. */
  markAvailable(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.isAvailable || this.closed) return;
    this.isAvailable = true;
    this.options.onChange?.(true);
  }

  /** Stops probing for good (the driver is about to close). */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** At most one probe is scheduled or running at a time, however many statements fail. */
  private scheduleProbe(): void {
    if (this.closed || this.isAvailable || this.probing || this.timer !== undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.runProbe();
    }, this.options.probeIntervalMs);
    // A probe is never a reason for the process to stay alive.
    this.timer.unref();
  }

  private async runProbe(): Promise<void> {
    if (this.closed || this.isAvailable) return;
    this.probing = true;
    let answered = false;
    try {
      await this.probe();
      answered = true;
    } catch {
      // Still unreachable; try again after the interval.
    } finally {
      this.probing = false;
    }
    if (answered) this.markAvailable();
    else this.scheduleProbe();
  }
}
