import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTemporaryDatabase, onPostgres } from './postgres.js';

export interface RunningServer {
  baseUrl: string;
  process: ChildProcess;
  output: () => string;
  /** Resolves once the output contains `text` (log lines are written in batches, at least every second); rejects after 5 s. */
  waitForOutput: (text: string) => Promise<void>;
  stop: (signal?: NodeJS.Signals) => Promise<number | null>;
}

/**
 * Starts the built service (dist/, which `npm test` builds first) as a user
 * would, on a free port and a fresh SQLite file (PostgreSQL database with
 * TEST_DATABASE=postgres) unless `env` says otherwise.
 */
export async function startServer(env: Record<string, string> = {}): Promise<RunningServer> {
  const directory = mkdtempSync(join(tmpdir(), 'gatehouse-server-'));
  const database = onPostgres() && !env.DATABASE_URL ? await createTemporaryDatabase() : null;
  const child = spawn(process.execPath, ['dist/src/main.js'], {
    env: {
      ...process.env,
      PORT: '0',
      BCRYPT_ROUNDS: '4',
      DATABASE_URL: database?.url ?? `sqlite:${join(directory, 'app.sqlite')}`,
      THROTTLE_REGISTRATIONS: '100000',
      THROTTLE_LOGIN_FAILURES: '100000',
      THROTTLE_ADDRESS_FAILURES: '100000',
      THROTTLE_ACCOUNT_FAILURES: '100000',
      HASH_CONCURRENCY_PER_ADDRESS: '100000',
      REDIS_URL: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
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
