import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';

import { startArguments } from '../../src/cli/startArguments.js';

/**
 * The service as a user runs it (`npm start`'s Node options and entry point, startArguments), as a child process whose JSON
 * log lines and stderr the test reads; shared by every process-level test (e2e and faults).
 */

const PROJECT_ROOT = path.resolve(import.meta.dirname, '../..');

export interface MainProcess {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly stderr: string[];
  /** Resolves with the first log line whose message matches; rejects if the process exits first. */
  waitForLog(message: string | RegExp, timeoutMs?: number): Promise<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

const matches = (message: string | RegExp, log: Record<string, unknown>) =>
  typeof message === 'string' ? log['msg'] === message : message.test(String(log['msg']));

/** Starts src/main.ts with the given environment; NEO4J_*, PORT and HOST of the test run are not inherited. */
export function startMain(environment: NodeJS.ProcessEnv): MainProcess {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([key]) => !key.startsWith('NEO4J_') && key !== 'PORT' && key !== 'HOST',
    ),
  );
  const child = spawn(process.execPath, startArguments(PROJECT_ROOT), {
    cwd: PROJECT_ROOT,
    env: { ...inherited, LOG_LEVEL: 'info', ...environment },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  const stderr: string[] = [];
  const waiters: { message: string | RegExp; resolve: (log: Record<string, unknown>) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      const log = JSON.parse(line) as Record<string, unknown>;
      logs.push(log);
      for (const waiter of waiters.filter((w) => matches(w.message, log))) waiter.resolve(log);
    } catch {
      // Not a log line; ignore.
    }
  });
  createInterface({ input: child.stderr }).on('line', (line) => stderr.push(line));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    stderr,
    exited,
    waitForLog: (message, timeoutMs = 180_000) => {
      const existing = logs.find((log) => matches(message, log));
      if (existing) return Promise.resolve(existing);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new Error(`no '${String(message)}' log within ${timeoutMs} ms; stderr: ${stderr.join(' | ')}`),
            ),
          timeoutMs,
        );
        waiters.push({ message, resolve: (log) => (clearTimeout(timer), resolve(log)) });
        void exited.then((code) =>
          reject(new Error(`exited with ${code} before '${String(message)}'; stderr: ${stderr.join(' | ')}`)),
        );
      });
    },
  };
}

/** A plain TCP server holding a port on 127.0.0.1 (0: a free one), standing in for "something else uses it". */
export async function occupyPort(port = 0): Promise<{ port: number; close(): Promise<void> }> {
  const server = net.createServer((socket) => socket.destroy());
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => resolve());
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

export async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return condition();
}

export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
