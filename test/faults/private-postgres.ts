import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort, waitFor } from './free-port.js';

const run = promisify(execFile);

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres: the cluster's administrating connection. */
  adminUrl: string;
  port: number;
  /** Makes a database and gives its URL. */
  createDatabase: (name: string) => Promise<string>;
  /** `fast` (a clean stop) or `immediate` (a crash: no checkpoint, recovery at the next start). */
  stop: (mode?: 'fast' | 'immediate') => Promise<void>;
  start: () => Promise<void>;
  /** Stops the cluster and removes its folder. */
  destroy: () => Promise<void>;
  /**
   * SIGSTOP to the postmaster and every backend (its pid from postmaster.pid,
   * theirs its children): a server that takes connections into the kernel's
   * backlog and answers nothing, as a frozen host or a partition looks. `thaw` sends SIGCONT.
   */
  freeze: () => Promise<void>;
  thaw: () => Promise<void>;
}

/** Debian's binaries (postgresql-NN), newest first; else whatever PATH has. */
function binary(name: string): string {
  const root = '/usr/lib/postgresql';
  if (existsSync(root)) {
    for (const version of readdirSync(root).sort((a, b) => Number(b) - Number(a))) {
      const path = join(root, version, 'bin', name);
      if (existsSync(path)) return path;
    }
  }
  return name;
}

/** PostgreSQL refuses to run as root: then the cluster belongs to the `postgres` user, as Debian's does. */
async function clusterOwner(): Promise<{ uid: number; gid: number } | null> {
  if (userInfo().uid !== 0) return null;
  const { stdout } = await run('id', ['-u', 'postgres']);
  const { stdout: group } = await run('id', ['-g', 'postgres']);
  return { uid: Number(stdout.trim()), gid: Number(group.trim()) };
}

/**
 * A PostgreSQL cluster of the suite's own (initdb + pg_ctl, in a temporary
 * folder, on a free loopback port, trust authentication for loopback): a
 * fault test may stop, crash and start it without touching the shared
 * server. About two seconds to make.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const owner = await clusterOwner();
  const folder = mkdtempSync(join(tmpdir(), 'gatehouse-pg-'));
  const data = join(folder, 'data');
  if (owner) chownSync(folder, owner.uid, owner.gid);
  const as = owner ? { uid: owner.uid, gid: owner.gid } : {};
  // --no-sync: the cluster is thrown away at the end; the server itself keeps fsync on, as in production.
  await run(binary('initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '--no-instructions'], { ...as, cwd: folder });
  const options = `-p ${port} -k ${folder} -c listen_addresses=127.0.0.1 -c max_connections=100`;
  const adminUrl = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const start = async () => {
    await run(binary('pg_ctl'), ['-D', data, '-o', options, '-l', join(folder, 'server.log'), '-w', '-t', '30', 'start'], { ...as, cwd: folder });
    await waitFor(`private PostgreSQL on port ${port}`, () => answers(adminUrl), 10_000);
  };
  const stop = async (mode: 'fast' | 'immediate' = 'fast') => {
    await run(binary('pg_ctl'), ['-D', data, '-m', mode, '-w', '-t', '30', 'stop'], { ...as, cwd: folder }).catch(() => undefined);
  };
  const signalCluster = async (signal: NodeJS.Signals) => {
    const postmaster = Number(readFileSync(join(data, 'postmaster.pid'), 'utf8').split('\n')[0]);
    const { stdout } = await run('pgrep', ['-P', String(postmaster)]).catch(() => ({ stdout: '' }));
    const pids = [postmaster, ...stdout.split('\n').filter(Boolean).map(Number)];
    // The postmaster first on the way down (no new backends), last on the way up.
    for (const pid of signal === 'SIGSTOP' ? pids : pids.reverse()) process.kill(pid, signal);
  };
  await start();
  return {
    freeze: () => signalCluster('SIGSTOP'),
    thaw: () => signalCluster('SIGCONT'),
    adminUrl,
    port,
    start,
    stop,
    createDatabase: async (name) => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${name}`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    destroy: async () => {
      await signalCluster('SIGCONT').catch(() => undefined);
      await stop('immediate');
      rmSync(folder, { recursive: true, force: true });
    },
  };
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
