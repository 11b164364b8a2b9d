import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import {
  ApolloServerPluginCacheControlDisabled,
  ApolloServerPluginLandingPageDisabled,
} from '@apollo/server/plugin/disabled';
import { OperationTypeNode, type ValidationRule } from 'graphql';

import type { Config } from '../config.js';
import { AppError, ErrorCode, formatError, isClientSafe } from '../errors.js';
import type { Logger } from '../logger.js';
import type { GraphQLContext } from './context.js';
import { argumentLimitsPlugin } from './argumentLimits.js';
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
 * With introspection off, "Did you mean …?" hints would still spell the schema out to a prober. Apollo's
 * hideSchemaDetailsFromClientErrors cuts them from validation errors only; graphql-js gives the same hints when it
 * coerces variables (`{"s": "UPSTREA"}` for a Stage: 'Did you mean the enum value "UPSTREAM"?', or a misspelt
 * input field), so they are cut here from every error a request ends with. (Apollo Server 5.5's DisableSuggestions
 * plugin, which that option installs, hooks validationDidStart only, and Apollo does not pass graphql-js's own
 * `hideSuggestions` to execute; without this plugin test/integration/httpHardening.test.ts's "schema hints" case
 * fails on the enum-value message.)
 */
const variableSuggestionBlockingPlugin: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: () =>
    Promise.resolve({
      didEncounterErrors: ({ errors }) => {
        for (const error of errors) error.message = error.message.replace(SUGGESTION, '');
        return Promise.resolve();
      },
    }),
};
const SUGGESTION = /\s*Did you mean .+\?$/s;

/**
 * Every answer is `cache-control: no-store`, as Apollo's cache-control plugin made it (the schema has no cache
 * hints, so that plugin never said anything else). That plugin is disabled: to collect hints it wraps every field
 * resolver of the schema, per field per request — about 5 % of the service's CPU on a lookup
 * (bench/results/profile-before.md) for a header that is always the same.
 */
const noStorePlugin: ApolloServerPlugin<GraphQLContext> = {
  requestDidStart: () =>
    Promise.resolve({
      willSendResponse: ({ response }) => {
        if (!response.http.headers.has('cache-control'))
          response.http.headers.set('cache-control', 'no-store');
        return Promise.resolve();
      },
    }),
};

/**
 * The schema has no Subscription type (the service answers over plain HTTP only). graphql-js 16 lets such an
 * operation through validation and then fails it during execution with an error Apollo reports as
 * INTERNAL_SERVER_ERROR; this rule refuses it up front as the client's mistake.
 */
const supportedOperationsRule: ValidationRule = (context) => ({
  OperationDefinition: (node) => {
    const schema = context.getSchema();
    if (!schema.getRootType(node.operation)) {
      const supported = Object.values(OperationTypeNode).filter((operation) => schema.getRootType(operation));
      context.reportError(
        new AppError(
          ErrorCode.BAD_USER_INPUT,
          `${node.operation[0]?.toUpperCase()}${node.operation.slice(1)}s are not supported by this service; ` +
            `send a ${supported.join(' or ')} operation`,
        ),
      );
    }
  },
});

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
    // Suggestions stay where the schema is public anyway (introspection on), because they help.
    hideSchemaDetailsFromClientErrors: !config.introspectionEnabled,
    validationRules: [supportedOperationsRule, ...guardrailRules(config.limits.query)],
    parseOptions: { maxTokens: config.limits.query.maxTokens },
    // Batches (a JSON array of operations) are allowed; the HTTP layer caps their size at MAX_BATCH_SIZE.
    allowBatchedHttpRequests: true,
    logger,
    plugins: [
      ...extraPlugins,
      argumentLimitsPlugin(config.limits.arguments),
      // One AdmissionControl per server: its lanes count the operations of every request this server runs.
      costLimitPlugin(costLimitsOf(config), new AdmissionControl(admissionSettingsOf(config))),
      // Apollo's own landing page loads from a CDN; the service serves its own offline explorer instead.
      ApolloServerPluginLandingPageDisabled(),
      ApolloServerPluginCacheControlDisabled(),
      noStorePlugin,
      errorLoggingPlugin,
      ...(config.introspectionEnabled ? [] : [variableSuggestionBlockingPlugin]),
    ],
  });
}
