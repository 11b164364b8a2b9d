import { ApolloServer } from '@apollo/server';
import { startStandaloneServer } from '@apollo/server/standalone';
import { Neo4jGraphQL } from '@neo4j/graphql';
import neo4j from 'neo4j-driver';

/**
 * The Neo4j GraphQL Library (@neo4j/graphql 7) over the same database, for the benchmark's comparison on the
 * operations it can express: lookup by id, a filtered list page, a nested relationship page. Run as its own process
 * by bench/run.ts; prints `READY <url>` when it listens.
 */
const typeDefs = /* GraphQL */ `
  type Enterprise @node {
    id: ID!
    name: String!
    sizeBand: String
    highTech: Boolean
    region: [Region!]! @relationship(type: "LOCATED_IN", direction: OUT)
    segments: [ChainSegment!]! @relationship(type: "OPERATES_IN", direction: OUT)
    customers: [Enterprise!]! @relationship(type: "SUPPLIES", direction: OUT)
  }
  type Region @node {
    id: ID!
    name: String!
  }
  type ChainSegment @node {
    id: ID!
    name: String!
    stage: String
  }
`;

const uri = process.env['NEO4J_URI'];
if (!uri) throw new Error('NEO4J_URI is required');
const driver = neo4j.driver(uri);
const schema = await new Neo4jGraphQL({ typeDefs, driver }).getSchema();
const server = new ApolloServer({ schema });
const { url } = await startStandaloneServer(server, {
  listen: { port: Number(process.env['PORT'] ?? 0), host: '127.0.0.1' },
});
process.stdout.write(`READY ${url}\n`);
const stop = () =>
  void server
    .stop()
    .then(() => driver.close())
    .then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
