import { availableParallelism } from 'node:os';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { Piscina } from 'piscina';
import { appConfiguration, type AppConfig } from '../config/configuration.js';
import { isValidPassword } from '../users/account-rules.js';

/**
 * bcrypt with the rules of API.md, in a pool of worker threads sized to the
 * cores: a login storm uses every core and never stalls the event loop, so
 * other routes keep answering.
 */
@Injectable()
export class PasswordsService implements OnModuleInit, OnModuleDestroy {
  /** A hash of a random password at the configured cost, compared against when the user does not exist. */
  private dummyHash: string;
  private readonly pool = new Piscina({
    filename: new URL('./password-hashing.worker.mjs', import.meta.url).href,
    maxThreads: availableParallelism(),
    // Threads start on demand and leave when idle, so an idle service holds none.
    minThreads: 0,
    idleTimeout: 30_000,
  });

  constructor(@Inject(appConfiguration.KEY) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hashPassword(crypto.randomUUID());
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.destroy();
  }

  hashPassword(password: string): Promise<string> {
    return this.pool.run({ operation: 'hash', password, rounds: this.config.bcryptRounds });
  }

  /**
   * Checks a password against a stored hash, or against the dummy hash when
   * there is no user, so both cases cost one bcrypt comparison. A password that
   * breaks the rules (longer than 72 bytes, say) never matches, since bcrypt
   * would otherwise compare only its first 72 bytes.
   */
  async verifyPassword(password: string, passwordHash: string | undefined): Promise<boolean> {
    const matches: boolean = await this.pool.run({ operation: 'compare', password, hash: passwordHash ?? this.dummyHash });
    return matches && passwordHash !== undefined && isValidPassword(password);
  }
}
