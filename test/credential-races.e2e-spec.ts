import { setTimeout as delay } from 'node:timers/promises';
import { getRepositoryToken } from '@nestjs/typeorm';
import bcrypt from 'bcryptjs';
import type { Repository } from 'typeorm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { User } from '../src/users/entities/user.entity.js';
import { basic, createTestApp, type TestApp } from './helpers/app.js';

/**
 * Security promises under interleaving: each test runs many rounds, because
 * one lucky pass proves nothing. Requests are started a millisecond or so
 * apart so that they overlap the change at different points; the assertions
 * hold whatever the interleaving.
 */
const ROUNDS = 20;
const ADMIN = { username: 'race-admin', password: 'photo-finish-lane' };
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ ADMIN_USERNAME: ADMIN.username, ADMIN_PASSWORD: ADMIN.password });
});
afterAll(() => testApp.close());

const login = (username: string, password: string) => testApp.http().post('/auth/token').type('form').send({ grant_type: 'password', username, password });
const refresh = (token: string) => testApp.http().post('/auth/token').type('form').send({ grant_type: 'refresh_token', refresh_token: token });
const changePassword = (username: string, currentPassword: string, newPassword: string) =>
  testApp.http().put('/auth/password').set('Authorization', basic(username, currentPassword)).send({ currentPassword, newPassword });
/** `count` requests started one after another, `gapMs` apart, all in flight together. */
const staggered = <T>(count: number, gapMs: number, send: (index: number) => PromiseLike<T>): Promise<T[]> =>
  Promise.all(Array.from({ length: count }, (_, index) => delay(index * gapMs).then(() => send(index))));

async function register(username: string, password = 'race-password-1'): Promise<number> {
  return (await testApp.http().post('/auth').send({ username, password }).expect(201)).body.id as number;
}

/**
 * An attacker who holds a refresh token of the login rotates it in a loop.
 * `stop` runs once the loop has rotated a few times; after it answers, at most
 * the one rotation already in flight may still succeed, and its token is dead.
 */
async function rotationOutlives(username: string, password: string, stop: (firstToken: string) => Promise<unknown>): Promise<number> {
  const first = (await login(username, password).expect(200)).body.refresh_token as string;
  let current = first;
  let rotations = 0;
  let rotating!: () => void;
  const rotatedThrice = new Promise<void>((resolve) => (rotating = resolve));
  const attacker = (async () => {
    for (let step = 0; step < 300; step++) {
      const response = await refresh(current);
      if (response.status !== 200) return;
      current = response.body.refresh_token;
      if (++rotations === 3) rotating();
    }
  })();
  await rotatedThrice;
  await stop(first);
  const rotationsWhenStopped = rotations;
  await attacker;
  expect((await refresh(current)).status).toBe(401);
  return rotations - rotationsWhenStopped;
}

describe('refresh rotation against revocation', () => {
  it(`logout (POST /auth/revoke) ends an attacker's rotation loop at once (${ROUNDS} rounds)`, async () => {
    const survivors: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const username = `looped-revoke-${round}`;
      await register(username);
      survivors.push(await rotationOutlives(username, 'race-password-1', (token) => testApp.http().post('/auth/revoke').type('form').send({ token }).expect(200)));
    }
    console.log(`rotations that succeeded after the revocation answered, per round: ${survivors.join(' ')}`);
    expect(Math.max(...survivors)).toBeLessThanOrEqual(1);
  });

  it(`a password change ends an attacker's rotation loop at once (${ROUNDS} rounds)`, async () => {
    const survivors: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const username = `looped-change-${round}`;
      await register(username);
      survivors.push(await rotationOutlives(username, 'race-password-1', () => changePassword(username, 'race-password-1', 'race-password-2').expect(204)));
    }
    console.log(`rotations that succeeded after the password change answered, per round: ${survivors.join(' ')}`);
    expect(Math.max(...survivors)).toBeLessThanOrEqual(1);
  });

  it(`one refresh token presented twice at once: reuse revokes the login, the winner's new token included (${ROUNDS + 10} rounds)`, async () => {
    let survived = 0;
    for (let round = 0; round < ROUNDS + 10; round++) {
      const username = `double-${round}`;
      await register(username);
      const token = (await login(username, 'race-password-1').expect(200)).body.refresh_token as string;
      const responses = await Promise.all([refresh(token), refresh(token)]);
      expect(responses.map((response) => response.status).sort()).toEqual([200, 401]);
      const winner = responses.find((response) => response.status === 200)!.body.refresh_token as string;
      if ((await refresh(winner)).status === 200) survived++;
    }
    expect(survived).toBe(0);
  });
});

describe('a password change locks out whoever has the old password', () => {
  it(`refresh tokens from logins in flight during the change die with it (${ROUNDS} rounds)`, async () => {
    let survivors = 0;
    let inFlightLogins = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const username = `changing-${round}`;
      await register(username);
      const [logins, changed] = await Promise.all([staggered(8, 1, () => login(username, 'race-password-1')), changePassword(username, 'race-password-1', 'race-password-2')]);
      expect(changed.status).toBe(204);
      for (const response of logins) {
        expect([200, 401]).toContain(response.status);
        if (response.status !== 200) continue;
        inFlightLogins++;
        if ((await refresh(response.body.refresh_token)).status === 200) survivors++;
      }
    }
    console.log(`logins with the old password that finished 200 around the change: ${inFlightLogins}; their refresh tokens still working: ${survivors}`);
    expect(survivors).toBe(0);
  });

  it(`Basic with the old password fails after the 204, even when a check was in flight during the change (${ROUNDS} rounds)`, async () => {
    let stillWorking = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const username = `basic-changing-${round}`;
      await register(username);
      const old = basic(username, 'race-password-1');
      const [, changed] = await Promise.all([staggered(8, 1, () => testApp.http().get('/protected').set('Authorization', old)), changePassword(username, 'race-password-1', 'race-password-2')]);
      expect(changed.status).toBe(204);
      if ((await testApp.http().get('/protected').set('Authorization', old)).status !== 401) stillWorking++;
    }
    expect(stillWorking).toBe(0);
  });
});

describe('a rehash at login (a hash made before passwords were normalised) against a password change', () => {
  it(`never overwrites the new password, nor survives as the old one (${ROUNDS} rounds)`, async () => {
    const users = testApp.app.get<Repository<User>>(getRepositoryToken(User));
    // Decomposed (NFD), as a release before normalisation hashed it.
    const typed = 'cre\u0300me-race-password';
    for (let round = 0; round < ROUNDS; round++) {
      const username = `rehash-racing-${round}`;
      await register(username);
      await users.update({ username }, { passwordHash: bcrypt.hashSync(typed, 4) });
      const { credentialsVersion } = await users.findOneByOrFail({ username });
      const [logins, changed] = await Promise.all([staggered(6, 1, () => login(username, typed)), changePassword(username, typed, 'race-password-2')]);
      expect(changed.status).toBe(204);
      for (const response of logins) expect([200, 401]).toContain(response.status);
      const stored = await users.findOneByOrFail({ username });
      expect(bcrypt.compareSync('race-password-2', stored.passwordHash)).toBe(true);
      expect(stored.credentialsVersion).toBe(credentialsVersion + 1);
      await login(username, typed).expect(401);
      await login(username, typed.normalize('NFKC')).expect(401);
      await login(username, 'race-password-2').expect(200);
    }
  });
});

describe('deleting a user during their login', () => {
  it(`answers 200 or 401 invalid_grant, never 500 (${ROUNDS} rounds)`, async () => {
    const statuses: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const username = `leaving-${round}`;
      const id = await register(username);
      const [logins] = await Promise.all([
        staggered(5, 1, () => login(username, 'race-password-1')),
        delay(2).then(() => testApp.http().delete(`/users/${id}`).set('Authorization', basic(ADMIN.username, ADMIN.password)).expect(204)),
      ]);
      for (const response of logins) {
        statuses.push(response.status);
        if (response.status === 401) expect(response.body.error).toBe('invalid_grant');
      }
    }
    const counts = statuses.reduce<Record<number, number>>((tally, status) => ({ ...tally, [status]: (tally[status] ?? 0) + 1 }), {});
    console.log(`logins around a deletion: ${JSON.stringify(counts)}`);
    expect(statuses.every((status) => status === 200 || status === 401)).toBe(true);
  });
});
