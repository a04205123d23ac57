import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { appConfiguration, type AppConfig } from '../config/configuration.js';
import { isValidPassword } from '../users/account-rules.js';

/** bcrypt hashing with the rules of API.md; async only, so the event loop is never blocked on one call. */
@Injectable()
export class PasswordsService implements OnModuleInit {
  /** A hash of a random password at the configured cost, compared against when the user does not exist. */
  private dummyHash: string;

  constructor(@Inject(appConfiguration.KEY) private readonly config: AppConfig) {}

  async onModuleInit(): Promise<void> {
    this.dummyHash = await this.hashPassword(crypto.randomUUID());
  }

  hashPassword(password: string): Promise<string> {
    return bcrypt.hash(password, this.config.bcryptRounds);
  }

  /**
   * Checks a password against a stored hash, or against the dummy hash when
   * there is no user, so both cases cost one bcrypt comparison. A password that
   * breaks the rules (longer than 72 bytes, say) never matches, since bcrypt
   * would otherwise compare only its first 72 bytes.
   */
  async verifyPassword(password: string, passwordHash: string | undefined): Promise<boolean> {
    const matches = await bcrypt.compare(password, passwordHash ?? this.dummyHash);
    return matches && passwordHash !== undefined && isValidPassword(password);
  }
}
