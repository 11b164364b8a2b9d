import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import type { LocalNeo4jConfig } from '../config.js';
import type { Logger } from '../logger.js';
import { portProblem } from '../ports.js';

/**
 * Starts the project's own Neo4j 5.26 Community (neo4j-local/, an embedded DBMS with Bolt) in its own JVM.
 *
 * The JVM is tied to this process: it shuts down when its standard input closes, which happens when we call
 * `stop()` and also when this process dies for any reason, SIGKILL included. So no Java process of ours outlives
 * its owner.
 */

export const LAUNCHER_MAIN_CLASS = 'org.chainkg.neo4jlocal.LocalNeo4j';
const PROJECT_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAUNCHER_DIR = path.join(PROJECT_ROOT, 'neo4j-local');
const PLUGINS_DIR = path.join(LAUNCHER_DIR, 'target', 'plugins');
const LAUNCHER_SOURCES = ['pom.xml', 'src/main/java/org/chainkg/neo4jlocal/LocalNeo4j.java'];

// Java 17 needs these to let Neo4j's page cache and Netty use direct buffers (see reference/neo4j-local.md).
const JVM_FLAGS = [
  '--add-opens=java.base/java.nio=ALL-UNNAMED',
  '--add-opens=java.base/java.io=ALL-UNNAMED',
  '--add-opens=java.base/sun.nio.ch=ALL-UNNAMED',
  '-Dio.netty.tryReflectionSetAccessible=true',
  '-Djdk.nio.maxCachedBufferSize=1024',
  '-Dlog4j2.disable.jmx=true',
  '-XX:+UseG1GC',
];

export class LocalNeo4jError extends Error {
  override readonly name = 'LocalNeo4jError';
}

/** How the JVM ended: its exit code, or the signal that killed it. */
export interface Neo4jExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** The launcher listens on the loopback interface only (see LocalNeo4j.java). */
const BOLT_HOST = '127.0.0.1';

export interface LocalNeo4jHandle {
  readonly uri: string;
  readonly pid: number;
  /** Settles when the JVM exits for any reason, stop() included (the supervisor tells the two apart). */
  readonly exited: Promise<Neo4jExit>;
  /** Shuts the DBMS down cleanly and waits for the JVM to exit (escalating to SIGKILL if it hangs). */
  stop(): Promise<void>;
}

interface CommandResult {
  code: number | null;
  output: string;
}

function runCommand(command: string, args: string[], cwd: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function requireTool(command: string, args: string[], what: string): Promise<string> {
  try {
    const { code, output } = await runCommand(command, args, PROJECT_ROOT);
    if (code !== 0) throw new LocalNeo4jError(`'${command} ${args.join(' ')}' failed: ${output.trim()}`);
    return output;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new LocalNeo4jError(
        `${what} was not found on PATH. The local Neo4j needs it: install it (Debian: ${
          command === 'java' ? 'apt-get install openjdk-17-jdk-headless' : 'apt-get install maven'
        }), or set NEO4J_URI to use an existing Neo4j server.`,
      );
    }
    throw error;
  }
}

async function mtime(file: string): Promise<number> {
  try {
    return (await stat(file)).mtimeMs;
  } catch {
    return 0;
  }
}

/**
 * Makes sure the launcher is compiled and its classpath known, fetching Neo4j from Maven Central the first time
 * (about 150 MB into ~/.m2). Returns the path of the JVM argument file holding the classpath.
 */
export async function ensureLauncherBuilt(
  logger?: Logger,
  options: { apoc?: boolean } = {},
): Promise<string> {
  const javaVersion = await requireTool('java', ['-version'], 'Java (17 or 21)');
  const major = /version "(\d+)/.exec(javaVersion)?.[1];
  if (major !== undefined && Number(major) < 17) {
    throw new LocalNeo4jError(`Java ${major} found; Neo4j 5.26 needs Java 17 or 21.`);
  }
  const variant = options.apoc ? 'apoc' : 'plain';
  const argfile = path.join(
    LAUNCHER_DIR,
    'target',
    variant === 'apoc' ? 'launcher-apoc.args' : 'launcher.args',
  );
  const built = await mtime(argfile);
  const sources = await Promise.all(LAUNCHER_SOURCES.map((file) => mtime(path.join(LAUNCHER_DIR, file))));
  if (built > 0 && sources.every((time) => time < built)) return argfile;

  await requireTool('mvn', ['-v'], 'Maven (mvn)');
  logger?.info('Building the local Neo4j launcher (the first run fetches Neo4j from Maven Central)');
  const classpathFile = variant === 'apoc' ? 'target/classpath-apoc.txt' : 'target/classpath.txt';
  const profile = variant === 'apoc' ? ['-P', 'apoc'] : [];
  const steps = [
    ['-B', '-q', ...profile, 'compile', 'dependency:build-classpath', `-Dmdep.outputFile=${classpathFile}`],
    // APOC must also sit in the plugin directory, not only on the classpath. A separate run, because
    // includeGroupIds would filter the classpath above too.
    ...(variant === 'apoc'
      ? [
          [
            '-B',
            '-q',
            ...profile,
            'dependency:copy-dependencies',
            '-DincludeGroupIds=org.neo4j.procedure',
            `-DoutputDirectory=${PLUGINS_DIR}`,
          ],
        ]
      : []),
  ];
  for (const args of steps) {
    const { code, output } = await runCommand('mvn', args, LAUNCHER_DIR);
    if (code !== 0) {
      throw new LocalNeo4jError(
        `Building neo4j-local with Maven failed:\n${output.trim().split('\n').slice(-20).join('\n')}`,
      );
    }
  }
  const dependencies = (await readFile(path.join(LAUNCHER_DIR, classpathFile), 'utf8')).trim();
  const classpath = [path.join(LAUNCHER_DIR, 'target', 'classes'), dependencies].join(path.delimiter);
  // An argument file keeps the JVM's command line short, so `pgrep -f` on the main class stays readable.
  // Written then renamed, so a concurrent reader never sees half a file.
  const temporary = `${argfile}.${process.pid}.tmp`;
  await writeFile(temporary, `-cp ${JSON.stringify(classpath)}\n`);
  await rename(temporary, argfile);
  return argfile;
}

export interface StartOptions extends LocalNeo4jConfig {
  readonly logger?: Logger;
  /** Load APOC core (only the benchmark's Neo4j GraphQL Library comparison needs it). */
  readonly apoc?: boolean;
}

/**
 * The port to start on. A taken port is found here, before a JVM is started, so the message names it; the default
 * port (NEO4J_LOCAL_PORT unset) is swapped for a free one instead, because another Neo4j or Neo4j Desktop on 7687
 * is common and the user asked for no particular port.
 */
async function choosePort(options: StartOptions): Promise<{ port: number; instead?: number }> {
  if (options.port === 0) return { port: 0 };
  const problem = await portProblem(BOLT_HOST, options.port);
  if (problem === null) return { port: options.port };
  if (options.portFallback === true && problem === 'EADDRINUSE') return { port: 0, instead: options.port };
  throw new LocalNeo4jError(
    problem === 'EADDRINUSE'
      ? `The local Neo4j's port ${options.port} (NEO4J_LOCAL_PORT) is already in use on ${BOLT_HOST} (another Neo4j, or Neo4j Desktop?): stop what holds it, or set NEO4J_LOCAL_PORT to a free port (0 picks one)`
      : `The local Neo4j's port ${options.port} (NEO4J_LOCAL_PORT) cannot be used on ${BOLT_HOST} (${problem}): set NEO4J_LOCAL_PORT to another port (0 picks a free one)`,
  );
}

/** Starts the local Neo4j and resolves once Bolt answers queries. */
export async function startLocalNeo4j(options: StartOptions): Promise<LocalNeo4jHandle> {
  const argfile = await ensureLauncherBuilt(options.logger, { apoc: options.apoc ?? false });
  const { port, instead } = await choosePort(options);
  const home = path.resolve(PROJECT_ROOT, options.dataDir);
  await mkdir(home, { recursive: true });
  const child = spawn(
    'java',
    [
      `-Xmx${options.heapMb}m`,
      ...JVM_FLAGS,
      `@${argfile}`,
      LAUNCHER_MAIN_CLASS,
      '--home',
      home,
      '--port',
      String(port),
      '--page-cache-mb',
      String(options.pageCacheMb),
      '--tx-timeout-s',
      String(options.txTimeoutSeconds),
      ...(options.apoc ? ['--plugins', PLUGINS_DIR] : []),
    ],
    { cwd: PROJECT_ROOT, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  // Listened for before anything can make the child exit, so no exit goes unseen.
  const exited = new Promise<Neo4jExit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const uri = await waitUntilReady(child, options);
  if (instead !== undefined) {
    options.logger?.warn(
      { uri, takenPort: instead },
      `Port ${instead} is in use (another Neo4j, or Neo4j Desktop?); the local Neo4j listens on port ${new URL(uri).port} instead (set NEO4J_LOCAL_PORT to choose one)`,
    );
  }
  options.logger?.info({ uri, pid: child.pid, home }, 'Local Neo4j is ready');
  let stopping: Promise<void> | undefined;
  return {
    uri,
    pid: child.pid ?? -1,
    exited,
    stop: () => (stopping ??= stopChild(child)),
  };
}

function waitUntilReady(child: ChildProcessWithoutNullStreams, options: StartOptions): Promise<string> {
  const recentErrors: string[] = [];
  createInterface({ input: child.stderr }).on('line', (line) => {
    recentErrors.push(line);
    if (recentErrors.length > 40) recentErrors.shift();
    options.logger?.debug({ neo4j: line }, 'neo4j-local');
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new LocalNeo4jError(`The local Neo4j did not become ready within ${options.startTimeoutMs} ms`));
    }, options.startTimeoutMs);
    const settle = (action: () => void) => {
      clearTimeout(timer);
      action();
    };
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('NEO4J_LOCAL_READY ')) {
        settle(() => resolve(line.slice('NEO4J_LOCAL_READY '.length).trim()));
      } else if (line.startsWith('NEO4J_LOCAL_FAILED ')) {
        settle(() => reject(new LocalNeo4jError(explainFailure(line.slice(19), options))));
      }
    });
    child.on('error', (error) => settle(() => reject(error)));
    child.on('exit', (code, signal) =>
      settle(() =>
        reject(
          new LocalNeo4jError(
            `The local Neo4j exited before it was ready (code ${code}, signal ${signal}): ${recentErrors.slice(-5).join(' | ')}`,
          ),
        ),
      ),
    );
  });
}

function explainFailure(reason: string, options: StartOptions): string {
  if (/address already in use|BindException/i.test(reason)) {
    return `Port ${options.port} is already in use: stop what holds it, or set NEO4J_LOCAL_PORT (0 picks a free port). (${reason})`;
  }
  if (/lock|FileLockException/i.test(reason)) {
    return `The store in ${options.dataDir} is locked by another running local Neo4j (is npm start running? then use it: NEO4J_URI=bolt://127.0.0.1:${options.port}), or set NEO4J_LOCAL_DATA_DIR. (${reason})`;
  }
  return `The local Neo4j failed to start: ${reason}`;
}

async function stopChild(child: ChildProcessWithoutNullStreams): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const within = (ms: number) =>
    Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), ms).unref()),
    ]);
  // Closing stdin is the launcher's "shut down" signal; SIGTERM and SIGKILL are fallbacks if it hangs.
  child.stdin.end();
  if (await within(30_000)) return;
  child.kill('SIGTERM');
  if (await within(10_000)) return;
  child.kill('SIGKILL');
  await exited;
}
