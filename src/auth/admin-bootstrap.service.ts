import { ConflictException, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { EventEmitter2, EventEmitterReadinessWatcher } from '@nestjs/event-emitter';
import { APP_CONFIGURATION, ConfigurationError, type AppConfiguration } from '../config/configuration.js';
import { PasswordPolicyService } from '../password-policy/password-policy.service.js';
import { UsersService } from '../users/users.service.js';
import { AuthService } from './auth.service.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';

/**
 * Creates the admin of ADMIN_USERNAME / ADMIN_PASSWORD at start-up, and only
 * while the database has no admin at all: it gets a first admin in, and never
 * brings back an account an admin deleted (say, because its password leaked).
 * Since the last admin cannot be demoted or deleted, once there is an admin
 * there always is one. Its password must pass the password policy like any
 * other new password; one that does not stops start-up with one line.
 */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly usersService: UsersService,
    private readonly authService: AuthService,
    private readonly passwordPolicy: PasswordPolicyService,
    private readonly events: EventEmitter2,
    private readonly eventsReady: EventEmitterReadinessWatcher,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin) {
      // A fresh database: say once how to get the first admin in, rather than leave the admin routes a mystery.
      if (!(await this.usersService.hasAdmin())) {
        this.logger.log('The database has no admin: set ADMIN_USERNAME and ADMIN_PASSWORD and restart, or run npm run user:create -- <username> --admin.');
      }
      return;
    }
    if (await this.usersService.hasAdmin()) {
      // ADMIN_USERNAME only ever creates the first admin; say so when it names someone else, since a newcomer
      // restarting with another ADMIN_USERNAME would otherwise sign in with credentials that were never created.
      const holder = await this.usersService.findByUsername(admin.username);
      if (holder?.role !== 'admin') {
        this.logger.warn(
          `ADMIN_USERNAME "${admin.username}" is ignored: the database already has an admin, and ADMIN_USERNAME only creates the first one. ` +
            `Sign in as an existing admin, or create another with npm run user:create -- ${admin.username} --admin.`,
        );
      }
      return;
    }
    // Checked only when it is about to become a password: once an admin exists, the variables are not read again.
    const refusal = await this.passwordPolicy.refusalOf(admin.password, admin.username);
    if (refusal) throw new ConfigurationError(`ADMIN_PASSWORD ${refusal}`);
    if (await this.usersService.findByUsername(admin.username)) {
      this.logger.error(
        `ADMIN_USERNAME "${admin.username}" is taken by an account that is not an admin, so no admin was created: ` +
          `set another ADMIN_USERNAME and restart, or create an admin with npm run user:create -- <username> --admin.`,
      );
      return;
    }
    try {
      const created = await this.authService.createAccount(admin, 'admin');
      // Start-up: the listeners may not have subscribed yet, so the event waits for them.
      raiseSecurityEvent(this.events, { type: 'admin.bootstrapped', subjectId: created.id, details: { username: created.username } }, this.eventsReady);
      this.logger.log(`Created admin account "${admin.username}" from ADMIN_USERNAME (the database had no admin).`);
    } catch (error) {
      // Another instance starting at the same time created it first: that is the goal.
      if (!(error instanceof ConflictException)) throw error;
    }
  }
}
