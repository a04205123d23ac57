import { availableParallelism } from 'node:os';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../config/configuration.js';
import type { UsersService } from '../users/users.service.js';
import { MetricsService } from '../metrics/metrics.service.js';
import { PasswordsService } from './passwords.service.js';

const hashing = { concurrencyPerAddress: 2, queueLimit: 64 };
/** Stored accounts' most common cost, as UsersService reports it; null: no accounts yet. */
const users = (cost: number | null) => ({ mostCommonPasswordCost: async () => cost }) as unknown as UsersService;
const metrics = () => new MetricsService({ metricsToken: null } as AppConfiguration);

describe('PasswordsService', () => {
  const service = new PasswordsService({ bcryptRounds: 5, hashing } as AppConfiguration, users(null), metrics());
  beforeAll(() => service.onModuleInit());
  afterAll(() => service.onModuleDestroy());

  it('hashes with bcrypt at the configured cost and verifies the password', async () => {
    const hash = await service.hashPassword('correct-horse');
    expect(bcrypt.getRounds(hash)).toBe(5);
    expect(await service.verifyPassword('correct-horse', hash)).toEqual({ rehash: false });
    expect(await service.verifyPassword('wrong-horse', hash)).toBeNull();
  });

  it('never matches without a stored hash, though it does the same bcrypt work', async () => {
    expect(await service.verifyPassword('correct-horse', undefined)).toBeNull();
  });

  it('asks for a rehash of a hash made at another cost', async () => {
    expect(service.needsRehash(await service.hashPassword('correct-horse'))).toBe(false);
    expect(service.needsRehash(bcrypt.hashSync('correct-horse', 4))).toBe(true);
    expect(await service.verifyPassword('correct-horse', bcrypt.hashSync('correct-horse', 4))).toEqual({ rehash: true });
  });

  it('refuses a password beyond 72 bytes even when its first 72 bytes match', async () => {
    const password = 'a'.repeat(72);
    const hash = await service.hashPassword(password);
    expect(await service.verifyPassword(password, hash)).toEqual({ rehash: false });
    expect(await service.verifyPassword(`${password}b`, hash)).toBeNull();
  });

  it('hashes the NFKC form: composed or decomposed, full-width or plain, one password', async () => {
    const hash = await service.hashPassword('cre\u0300me brûlée');
    expect(bcrypt.compareSync('crème brûlée', hash)).toBe(true);
    expect(await service.verifyPassword('crème brûlée', hash)).toEqual({ rehash: false });
    expect(await service.verifyPassword('cre\u0300me bru\u0302le\u0301e', hash)).toEqual({ rehash: false });
    expect(await service.verifyPassword('ｃｒèｍｅ\u3000ｂｒûｌéｅ', hash)).toEqual({ rehash: false });
  });

  it('measures the 72 bytes on the normalised form', async () => {
    // 30 full-width letters are 90 bytes as typed, 30 once normalised.
    const hash = await service.hashPassword('ａ'.repeat(30));
    expect(await service.verifyPassword('a'.repeat(30), hash)).toEqual({ rehash: false });
    // U+FDFA is 3 bytes typed and 33 once normalised: five of them are 165.
    await expect(service.hashPassword('\ufdfa'.repeat(5))).rejects.toThrow(/over 72 bytes once normalised/);
  });

  it('matches a hash made before normalisation from the password as typed, and asks for it to be replaced', async () => {
    const typed = 'cre\u0300me brûlée';
    expect(await service.verifyPassword(typed, bcrypt.hashSync(typed, 5))).toEqual({ rehash: true });
    // The normalised form alone cannot match it: that is why the login must rehash.
    expect(await service.verifyPassword('crème brûlée', bcrypt.hashSync(typed, 5))).toBeNull();
  });

  it('leaves a hash made from the password as typed when its normalised form could not be stored (over 72 bytes)', async () => {
    const typed = `${'\ufdfa'.repeat(3)}-old`; // 13 bytes typed, 103 once normalised
    expect(await service.verifyPassword(typed, bcrypt.hashSync(typed, 5))).toEqual({ rehash: false });
  });
});

describe('PasswordsService worker pool', () => {
  const service = new PasswordsService({ bcryptRounds: 10, hashing } as AppConfiguration, users(null), metrics());
  beforeAll(() => service.onModuleInit());
  afterAll(() => service.onModuleDestroy());

  it('hashes off the event loop: timers keep firing while hashes run', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const started = Date.now();
    await Promise.all(Array.from({ length: 4 }, () => service.hashPassword('event-loop-free')));
    clearInterval(timer);
    const elapsed = Date.now() - started;
    // With bcrypt on the main thread the loop would stall for whole hashes at a time.
    expect(ticks).toBeGreaterThanOrEqual(Math.floor(elapsed / 5 / 3));
  });
});

describe('PasswordsService dummy hash', () => {
  it('is made at the cost most stored accounts have, not at BCRYPT_ROUNDS, so an unknown name costs what a real one does', async () => {
    const service = new PasswordsService({ bcryptRounds: 4, hashing } as AppConfiguration, users(9), metrics());
    await service.onModuleInit();
    try {
      const timed = async (hash: string | undefined) => {
        const started = performance.now();
        await service.verifyPassword('some-password', hash);
        return performance.now() - started;
      };
      const real = bcrypt.hashSync('another-password', 9);
      const unknown = Math.min(await timed(undefined), await timed(undefined), await timed(undefined));
      const known = Math.min(await timed(real), await timed(real), await timed(real));
      // Cost 4 would be 32 times faster than cost 9.
      expect(unknown / known).toBeGreaterThan(0.5);
    } finally {
      await service.onModuleDestroy();
    }
  });
});

describe('PasswordsService admission', () => {
  const recorded = metrics();
  const service = new PasswordsService({ bcryptRounds: 8, hashing: { concurrencyPerAddress: 2, queueLimit: 3 } } as AppConfiguration, users(null), recorded);
  beforeAll(() => service.onModuleInit());
  afterAll(() => service.onModuleDestroy());

  it('lets one address have 2 hashes in flight; a third is refused with 429 at once, and a slot is free again once one ends', async () => {
    const first = service.hashPassword('in-flight-1', '10.0.0.1');
    const second = service.hashPassword('in-flight-2', '10.0.0.1');
    await expect(service.hashPassword('in-flight-3', '10.0.0.1')).rejects.toMatchObject({ status: 429, retryAfterSeconds: 1 });
    // Another address is not affected.
    await expect(service.hashPassword('elsewhere', '10.0.0.2')).resolves.toMatch(/^\$2/);
    await Promise.all([first, second]);
    await expect(service.hashPassword('in-flight-4', '10.0.0.1')).resolves.toMatch(/^\$2/);
  });

  it('bounds the queue: beyond the threads and 3 waiting, 503', async () => {
    const running = Array.from({ length: availableParallelism() + 3 }, (_, index) => service.hashPassword(`queued-${index}`));
    await expect(service.hashPassword('one-too-many')).rejects.toMatchObject({ status: 503 });
    await Promise.all(running);
    await expect(service.hashPassword('room-again')).resolves.toMatch(/^\$2/);
  });

  it('reports the queue to metrics: its depth and limit while hashes wait, and how long each waited', async () => {
    const gauge = async (name: string) => (await recorded.registry.getSingleMetric(name)!.get()).values[0].value;
    const waitBefore = (await recorded.passwordHashWait.get()).values.find((value) => value.metricName?.endsWith('_count'))!.value;
    const threads = availableParallelism();
    const queued = Array.from({ length: threads + 3 }, (_, index) => service.hashPassword(`measured-${index}`));
    // Piscina hands tasks to threads as they start; wait until every thread has one.
    for (let tries = 0; (await gauge('gatehouse_password_hash_running')) < threads && tries < 500; tries++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(await gauge('gatehouse_password_hash_queue_depth')).toBe(3);
    expect(await gauge('gatehouse_password_hash_running')).toBe(threads);
    expect(await gauge('gatehouse_password_hash_queue_limit')).toBe(3);
    await Promise.all(queued);
    expect(await gauge('gatehouse_password_hash_queue_depth')).toBe(0);
    const wait = (await recorded.passwordHashWait.get()).values;
    expect(wait.find((value) => value.metricName?.endsWith('_count'))!.value).toBe(waitBefore + threads + 3);
    // The last three waited for a thread: at least one hash time between them.
    expect(wait.find((value) => value.metricName?.endsWith('_sum'))!.value).toBeGreaterThan(0.001);
  });
});
