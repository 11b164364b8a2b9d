import net from 'node:net';

/**
 * Checking a TCP port before something is started on it, so that a taken port is reported as one line naming it
 * instead of a stack trace from deep inside the thing that failed to bind (Neo4j's "Error starting Neo4j database
 * server", Node's EADDRINUSE after Neo4j was already started).
 */

/** A port the service needs is taken (or may not be used); the message names it and what to do. */
export class PortInUseError extends Error {
  override readonly name = 'PortInUseError';
}

/**
 * Whether `port` can be listened on at `host`: null when it can, else the error code (EADDRINUSE when something
 * holds it, EACCES for a privileged port, …). The probe listens and closes at once; what it answers can of course
 * change before the real server binds, so callers still map a late bind failure to the same message.
 */
export function portProblem(host: string, port: number): Promise<string | null> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.unref();
    server.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    // exclusive: a cluster worker would otherwise share the primary's handle and always "succeed".
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(null)));
  });
}

/** The one-line message for a taken HTTP port (the pre-check and the real listen say the same). */
export function httpPortMessage(host: string, port: number, problem: string): string {
  return problem === 'EADDRINUSE'
    ? `PORT=${port} is already in use on ${host} (another chain-kg?): stop what holds it, or set PORT to a free port (0 picks one)`
    : `PORT=${port} cannot be used on ${host} (${problem}): set PORT to another port (0 picks a free one)`;
}
