import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import sqlite3 from 'sqlite3';
import { describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from '../helpers/server.js';
import { FAULTS_SERVICE_ENVIRONMENT } from './free-port.js';

/** kill -9 rounds (issue 29: 20). */
const ROUNDS = 20;
/** The write storm runs this long at least before the kill, and at most this much longer: the kill lands anywhere in it. */
const STORM_MIN_MS = 300;
const STORM_SPREAD_MS = 900;
const WORKERS = 5;
const PASSWORD = 'crash-consistency-pw';
const ADMIN = { username: 'crash-admin', password: 'storm-warden-password' };
const ADMIN_AUTHORIZATION = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;

/** A login's refresh chain as the client knows it: its newest token, whether a request about it was unanswered at the kill. */
interface Chain {
  username: string;
  token: string;
  /** A refresh or revocation was sent and not answered: the server may or may not have done it. */
  unanswered: boolean;
  revoked: boolean;
}

/** The SQLite file, read by the test while the service is down. */
function query<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const database = new sqlite3.Database(file, sqlite3.OPEN_READWRITE, (error) => {
      if (error) return reject(error);
      database.all(sql, (queryError, rows) => {
        database.close();
        if (queryError) reject(queryError);
        else resolve(rows as T[]);
      });
    });
  });
}

/**
 * What a 2xx promised must survive `kill -9` at any moment of a write storm
 * (registrations, logins, refreshes, revocations, key rotations), 20 times
 * over on one SQLite file: after each kill the file passes integrity_check,
 * no refresh token is spent without its successor (half-rotated), and after
 * the restart every acknowledged account logs in, every acknowledged
 * revocation holds, every chain's newest acknowledged token refreshes, every
 * acknowledged key is there and exactly the newest signs.
 */
describe('crash consistency', () => {
  it(`keeps everything acknowledged over ${ROUNDS} kill -9 rounds of a write storm`, async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gatehouse-crash-')), 'app.sqlite');
    const env = {
      ...FAULTS_SERVICE_ENVIRONMENT,
      DATABASE_URL: `sqlite:${file}`,
      ADMIN_USERNAME: ADMIN.username,
      ADMIN_PASSWORD: ADMIN.password,
      KEY_PUBLISH_AHEAD: '0',
      KEY_ENCRYPTION_SECRET: 'a-secret-every-restart-shares-32-bytes+',
    };
    const accounts: string[] = [];
    const revokedChains: Chain[] = [];
    const acknowledgedKids: string[] = [];
    const timings: string[] = [];
    const started = Date.now();
    let server: RunningServer | null = null;

    const send = (path: string, init: RequestInit) => fetch(`${server!.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    const form = (path: string, fields: Record<string, string>) =>
      send(path, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields) });
    /** A few at a time: HASH_QUEUE_LIMIT (64) answers 503 beyond it. */
    const inBatches = async <T, R>(items: T[], each: (item: T) => Promise<R>): Promise<R[]> => {
      const results: R[] = [];
      for (let start = 0; start < items.length; start += 16) results.push(...(await Promise.all(items.slice(start, start + 16).map(each))));
      return results;
    };

    try {
      let liveChains: Chain[] = [];
      let newAccounts: string[] = [];
      for (let round = 1; round <= ROUNDS + 1; round++) {
        const roundStarted = Date.now();
        server = await startServer(env);
        const up = Date.now() - roundStarted;

        // What the last round acknowledged, asked of the restarted service.
        const failedLogins = (await inBatches(newAccounts, async (username) => [username, (await form('/auth/token', { username, password: PASSWORD })).status] as const)).filter(([, status]) => status !== 200);
        expect(failedLogins, `round ${round - 1}: accounts answered 201 that cannot log in`).toEqual([]);
        const revokedButWorking = (await inBatches(revokedChains, async (chain) => [chain.username, (await form('/auth/token', { grant_type: 'refresh_token', refresh_token: chain.token })).status] as const)).filter(
          ([, status]) => status === 200,
        );
        expect(revokedButWorking, 'acknowledged revocations that no longer hold').toEqual([]);
        const answered = liveChains.filter((chain) => !chain.unanswered && !chain.revoked);
        const brokenChains = (await inBatches(answered, async (chain) => [chain.username, (await form('/auth/token', { grant_type: 'refresh_token', refresh_token: chain.token })).status] as const)).filter(
          ([, status]) => status !== 200,
        );
        expect(brokenChains, `round ${round - 1}: refresh tokens answered 200 that no longer refresh`).toEqual([]);
        // Exactly one key signs, the newest; every acknowledged one is there.
        const jwks = (await (await send('/.well-known/jwks.json', {})).json()) as { keys: { kid: string }[] };
        expect(acknowledgedKids.filter((kid) => !jwks.keys.some((key) => key.kid === kid)), 'acknowledged signing keys missing from the JWKS').toEqual([]);
        const login = (await (await form('/auth/token', { username: ADMIN.username, password: ADMIN.password })).json()) as { access_token: string };
        const keys = (await (await send('/keys', { headers: { Authorization: ADMIN_AUTHORIZATION } })).json()) as { kid: string; generation: number; revokedAt: string | null }[];
        const newest = keys.filter((key) => !key.revokedAt).sort((a, b) => b.generation - a.generation)[0];
        expect(decodeProtectedHeader(login.access_token).kid, 'the key that signs after the restart').toBe(newest.kid);
        if (round > ROUNDS) break;

        // The storm, and a kill -9 at a random moment of it.
        let killed = false;
        const unexpected: string[] = [];
        const chains: Chain[] = [];
        newAccounts = [];
        const note = (what: string, status: number, expected: number) => {
          if (!killed && status !== expected) unexpected.push(`${what}: ${status}`);
          return status === expected;
        };
        const worker = async (id: number) => {
          for (let index = 0; !killed; index++) {
            try {
              const username = `r${round}-w${id}-${index}`;
              const registration = await send('/auth', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username, password: PASSWORD }) });
              if (!note(`register ${username}`, registration.status, 201)) continue;
              newAccounts.push(username);
              const login = await form('/auth/token', { username, password: PASSWORD });
              if (!note(`login ${username}`, login.status, 200)) continue;
              const chain: Chain = { username, token: ((await login.json()) as { refresh_token: string }).refresh_token, unanswered: false, revoked: false };
              chains.push(chain);
              for (let step = 0; step < 2 && !killed; step++) {
                chain.unanswered = true;
                const refreshed = await form('/auth/token', { grant_type: 'refresh_token', refresh_token: chain.token });
                if (!note(`refresh ${username}`, refreshed.status, 200)) break;
                chain.token = ((await refreshed.json()) as { refresh_token: string }).refresh_token;
                chain.unanswered = false;
              }
              if (!killed && !chain.unanswered && index % 2 === 0) {
                chain.unanswered = true;
                const revoked = await form('/auth/revoke', { token: chain.token });
                if (!note(`revoke ${username}`, revoked.status, 200)) continue;
                chain.revoked = true;
                chain.unanswered = false;
                revokedChains.push(chain);
              }
            } catch (error) {
              if (!killed) unexpected.push(`worker ${id}: ${(error as Error).message}`);
            }
          }
        };
        const rotator = async () => {
          while (!killed) {
            try {
              const rotated = await send('/keys/rotate', { method: 'POST', headers: { Authorization: ADMIN_AUTHORIZATION } });
              if (note('rotate keys', rotated.status, 201)) acknowledgedKids.push(((await rotated.json()) as { kid: string }).kid);
            } catch (error) {
              if (!killed) unexpected.push(`rotator: ${(error as Error).message}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
          }
        };
        const storm = [...Array.from({ length: WORKERS }, (_, id) => worker(id)), rotator()];
        const killAfter = STORM_MIN_MS + Math.floor(Math.random() * STORM_SPREAD_MS);
        await new Promise((resolve) => setTimeout(resolve, killAfter));
        killed = true;
        await server.stop('SIGKILL');
        server = null;
        await Promise.race([Promise.all(storm), new Promise((resolve) => setTimeout(resolve, 15_000))]);
        expect(unexpected, `round ${round}: answers before the kill`).toEqual([]);
        accounts.push(...newAccounts);
        liveChains = chains;

        // The file as the kill left it.
        expect(await query<{ integrity_check: string }>(file, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
        const halfRotated = await query(
          file,
          'SELECT p.id FROM refresh_tokens p WHERE p.spent_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM refresh_tokens c WHERE c.parent_id = p.id)',
        );
        expect(halfRotated, `round ${round}: refresh tokens spent without a successor`).toEqual([]);
        timings.push(`${round}: up ${up} ms, kill at ${killAfter} ms, ${newAccounts.length} accounts, ${chains.length} chains`);
      }

      // Every account of every round, once more, at the end.
      const failedLogins = (await inBatches(accounts, async (username) => [username, (await form('/auth/token', { username, password: PASSWORD })).status] as const)).filter(([, status]) => status !== 200);
      expect(failedLogins).toEqual([]);
      console.log(
        `crash consistency: ${ROUNDS} rounds in ${((Date.now() - started) / 1000).toFixed(1)} s; ${accounts.length} accounts, ${revokedChains.length} revocations, ${acknowledgedKids.length} key rotations acknowledged; ${timings.join('; ')}`,
      );
    } finally {
      await server?.stop('SIGKILL');
    }
  }, 300_000);
});
