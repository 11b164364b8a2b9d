import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';

import type { Config } from '../config.js';
import { formatError, isClientSafe } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';
import { resolvers } from './resolvers/index.js';
import { AdmissionControl, admissionSettingsOf } from './admission.js';
import { costLimitPlugin, costLimitsOf } from './cost.js';
import { guardrailRules } from './guardrails.js';
import { projectionFieldResolver } from './resolvers/support.js';
import { loadTypeDefs } from './typeDefs.js';

/** Logs, with the request id, every error that formatError is about to mask. */
const errorLoggingPlugin: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: () =>
    Promise.resolve({
      didEncounterErrors: ({ contextValue, errors }) => {
        for (const error of errors) {
          if (!isClientSafe(error)) {
            contextValue.logger.error({ err: error.originalError ?? error }, 'Unexpected error');
          }
        }
        return Promise.resolve();
      },
    }),
};

/**
 * With introspection off, "Did you mean …?" hints would still spell the schema out field by field to a prober;
 * they are cut from validation messages.
 */
const fieldSuggestionBlockingPlugin: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: () =>
    Promise.resolve({
      validationDidStart: () =>
        Promise.resolve((errors?: readonly Error[]) => {
          for (const error of errors ?? [])
            error.message = error.message.replace(/\s*Did you mean .+\?$/s, '');
          return Promise.resolve();
        }),
    }),
};

/**
 * The Apollo Server with the service's schema, resolvers and error handling. The HTTP app and the tests build it
 * through this one function, so tests exercise exactly what clients get.
 */
export function createApolloServer(
  config: Config,
  logger: Logger,
  extraPlugins: ApolloServerPlugin<GraphQLContext>[] = [],
): ApolloServer<GraphQLContext> {
  return new ApolloServer<GraphQLContext>({
    typeDefs: loadTypeDefs(),
    resolvers,
    fieldResolver: projectionFieldResolver,
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.introspectionEnabled,
    validationRules: guardrailRules(config.limits.query),
    parseOptions: { maxTokens: config.limits.query.maxTokens },
    // Batches (a JSON array of operations) are allowed; the HTTP layer caps their size at MAX_BATCH_SIZE.
    allowBatchedHttpRequests: true,
    logger,
    plugins: [
      ...extraPlugins,
      // One AdmissionControl per server: its lanes count the operations of every request this server runs.
      costLimitPlugin(costLimitsOf(config), new AdmissionControl(admissionSettingsOf(config))),
      // Apollo's own landing page loads from a CDN; the service serves its own offline explorer instead.
      ApolloServerPluginLandingPageDisabled(),
      errorLoggingPlugin,
      ...(config.introspectionEnabled ? [] : [fieldSuggestionBlockingPlugin]),
    ],
  });
}
