import type { Driver, ManagedTransaction } from 'neo4j-driver';

import type { CypherQuery } from './cypher.js';
import { toPlain } from './convert.js';
import { mapDriverError } from './errors.js';

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
}

/**
 * The only code that talks to Neo4j. Always names the database, sets a transaction timeout and metadata (visible
 * in Neo4j's query log), closes sessions, converts values to plain JavaScript and maps driver errors once.
 * One instance per process; `forRequest` derives a per-request view that reports to an observer.
 */
export class Executor {
  constructor(
    private readonly driver: Driver,
    private readonly options: ExecutorOptions,
    private readonly observer?: QueryObserver,
    private readonly requestId?: string,
  ) {}

  forRequest(requestId: string, observer?: QueryObserver): Executor {
    return new Executor(this.driver, this.options, observer ?? this.observer, requestId);
  }

  get database(): string {
    return this.options.database;
  }

  /** Runs one read statement and returns its rows as plain objects. */
  read(operation: string, query: CypherQuery): Promise<Row[]> {
    return this.run('READ', operation, (tx) => this.runInTransaction(tx, operation, 'READ', query));
  }

  /** Runs one write statement. The driver may retry it on transient errors, so it must be idempotent. */
  write(operation: string, query: CypherQuery): Promise<Row[]> {
    return this.run('WRITE', operation, (tx) => this.runInTransaction(tx, operation, 'WRITE', query));
  }

  /** Runs several write statements in one transaction: all of them apply, or none does. */
  writeAll(operation: string, queries: readonly CypherQuery[]): Promise<Row[][]> {
    return this.run('WRITE', operation, async (tx) => {
      const results: Row[][] = [];
      for (const query of queries) results.push(await this.runInTransaction(tx, operation, 'WRITE', query));
      return results;
    });
  }

  /** Verifies that the database answers (used by /ready and at startup). */
  async ping(): Promise<void> {
    await this.read('ping', { cypher: 'RETURN 1 AS ok', params: {} });
  }

  private async runInTransaction(
    tx: ManagedTransaction,
    operation: string,
    mode: 'READ' | 'WRITE',
    query: CypherQuery,
  ): Promise<Row[]> {
    this.observer?.({ operation, mode, query });
    const result = await tx.run(query.cypher, query.params);
    return result.records.map((record) => toPlain(record.toObject()) as Row);
  }

  private async run<T>(
    mode: 'READ' | 'WRITE',
    operation: string,
    work: (tx: ManagedTransaction) => Promise<T>,
  ): Promise<T> {
    const session = this.driver.session({
      database: this.options.database,
      defaultAccessMode: mode === 'READ' ? 'READ' : 'WRITE',
    });
    const config = {
      timeout: this.options.txTimeoutMs,
      metadata: {
        app: this.options.appName,
        operation,
        ...(this.requestId ? { requestId: this.requestId } : {}),
      },
    };
    try {
      return mode === 'READ'
        ? await session.executeRead(work, config)
        : await session.executeWrite(work, config);
    } catch (error) {
      throw mapDriverError(error);
    } finally {
      await session.close();
    }
  }
}
