import type { AggregateRefresher } from '../analytics/refresher.js';
import type { Caller } from '../auth.js';
import type { Config } from '../config.js';
import type { Executor } from '../data/executor.js';
import type { Logger } from '../logger.js';
import type { CostBudget } from './cost.js';

/** What every resolver receives: the request's executor view, the typed config and a request-scoped logger. */
export interface GraphQLContext {
  readonly requestId: string;
  readonly executor: Executor;
  readonly config: Config;
  readonly logger: Logger;
  /** The authenticated caller, or null for an anonymous request. */
  readonly caller: Caller | null;
  /** What this HTTP request has spent of MAX_QUERY_COST, shared by the operations of a batch (see cost.ts). */
  readonly costBudget?: CostBudget;
  /** Folds writes into the analytics aggregates before a report is answered (one per process). */
  readonly refresher: AggregateRefresher;
}
