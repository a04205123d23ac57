import { execFile, spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { createTemporaryDatabase, onPostgres } from './postgres.js';
import { TEST_SERVICE_ENVIRONMENT } from './test-environment.js';

export interface RunningServer {
  baseUrl: string;
  process: ChildProcess;
  output: () => string;
  /** Resolves once the output contains `text` (log lines are written in batches, at least every second); rejects after 5 s. */
  waitForOutput: (text: string) => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/** The built service, by absolute path: a test may start it from another working folder. */
const MAIN = resolve('dist/src/main.js');

/** The environment of a test server: a free port, and what every test service runs with. */
function serverEnvironment(databaseUrl: string, env: Record<string, string>): NodeJS.ProcessEnv {
  return { ...process.env, ...TEST_SERVICE_ENVIRONMENT, PORT: '0', DATABASE_URL: databaseUrl, ...env };
}

/** How the process is started: its working folder (where it looks for .env), its user, and whether its output is a terminal. */
export interface ServerProcessOptions {
  cwd?: string;
  uid?: number;
  gid?: number;
  /** Under `script`, which gives the service a pseudo-terminal as its output, as when a person runs it. */
  terminal?: boolean;
}

function spawnService(options: ServerProcessOptions, env: NodeJS.ProcessEnv): ChildProcessByStdio<null, Readable, Readable> {
  const { terminal, ...spawnOptions } = options;
  const [command, args] = terminal ? ['script', ['-qefc', `exec "${process.execPath}" "${MAIN}"`, '/dev/null']] : [process.execPath, [MAIN]];
  return spawn(command, args, { ...spawnOptions, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

/**
 * Starts the built service (dist/, which `npm test` builds first) as a user
 * would, on a free port and a fresh SQLite file (PostgreSQL database with
 * TEST_DATABASE=postgres) unless `env` says otherwise.
 */
export async function startServer(env: Record<string, string> = {}, options: ServerProcessOptions = {}): Promise<RunningServer> {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-server-'));
  const database = onPostgres() && !env.DATABASE_URL ? await createTemporaryDatabase() : null;
  const child = spawnService(options, serverEnvironment(database?.url ?? `sqlite:${join(directory, 'app.sqlite')}`, env));
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not start within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listens on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (!match) return;
      clearTimeout(timer);
      resolve({
        baseUrl: match[1],
        process: child,
        output: () => output,
        waitForOutput: async (text) => {
          for (const started = Date.now(); !output.includes(text); ) {
            if (Date.now() - started > 5000) throw new Error(`"${text}" did not appear in the output within 5 s:\n${output}`);
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        },
        stop: async (signal = 'SIGTERM') => {
          if (child.exitCode === null) child.kill(signal);
          const code = await exited;
          await database?.drop();
          return code;
        },
      });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening:\n${output}`));
    });
  });
}

export interface FinishedProgram {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a built program (dist/) to its end, as a user would, and gives its exit
 * code and output. bcrypt at its lowest cost, no Redis, any free port (should
 * a server start after all), unless `env` says otherwise; `input` is its
 * standard input. Killed after 30 s.
 */
export function runBuilt(script: string, args: string[], env: Record<string, string>, input?: string): Promise<FinishedProgram> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [script, ...args],
      { env: { ...process.env, BCRYPT_ROUNDS: '4', REDIS_URL: '', PORT: '0', ...env }, timeout: 30_000 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(input);
  });
}

export interface StoppedServer {
  code: number | null;
  stdout: string;
  stderr: string;
  /** From the start to the exit. */
  milliseconds: number;
}

/**
 * Starts the built service where it should refuse to start (a start-up
 * error), on a fresh SQLite file unless `env` says otherwise, and waits for
 * it to exit; a service still running after `timeoutMs` is killed (code null).
 */
export async function runServerUntilExit(env: Record<string, string>, options: ServerProcessOptions = {}, timeoutMs = 30_000): Promise<StoppedServer> {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-server-'));
  const started = Date.now();
  const child = spawnService(options, serverEnvironment(`sqlite:${join(directory, 'app.sqlite')}`, env));
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  // 'close', not 'exit': the last output may arrive after the process has exited.
  const [code] = (await once(child, 'close')) as [number | null];
  clearTimeout(timer);
  return { code, stdout, stderr, milliseconds: Date.now() - started };
}
