import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../config/configuration.js';
import { PasswordsService } from './passwords.service.js';

describe('PasswordsService', () => {
  const service = new PasswordsService({ bcryptRounds: 5 } as AppConfig);
  beforeAll(() => service.onModuleInit());
  afterAll(() => service.onModuleDestroy());

  it('hashes with bcrypt at the configured cost and verifies the password', async () => {
    const hash = await service.hashPassword('correct-horse');
    expect(bcrypt.getRounds(hash)).toBe(5);
    expect(await service.verifyPassword('correct-horse', hash)).toBe(true);
    expect(await service.verifyPassword('wrong-horse', hash)).toBe(false);
  });

  it('never matches without a stored hash, though it does the same bcrypt work', async () => {
    expect(await service.verifyPassword('correct-horse', undefined)).toBe(false);
  });

  it('refuses a password beyond 72 bytes even when its first 72 bytes match', async () => {
    const password = 'a'.repeat(72);
    const hash = await service.hashPassword(password);
    expect(await service.verifyPassword(password, hash)).toBe(true);
    expect(await service.verifyPassword(`${password}b`, hash)).toBe(false);
  });
});

describe('PasswordsService worker pool', () => {
  const service = new PasswordsService({ bcryptRounds: 10 } as AppConfig);
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
