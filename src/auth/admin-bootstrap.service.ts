import { ConflictException, Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { appConfiguration, type AppConfig } from '../config/configuration.js';
import { UsersService } from '../users/users.service.js';
import { AuthService } from './auth.service.js';

/** Creates the admin of ADMIN_USERNAME / ADMIN_PASSWORD at start-up, unless that account exists. */
@Injectable()
export class AdminBootstrapService implements OnApplicationBootstrap {
  private readonly logger = new Logger(AdminBootstrapService.name);

  constructor(
    @Inject(appConfiguration.KEY) private readonly config: AppConfig,
    private readonly usersService: UsersService,
    private readonly authService: AuthService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const admin = this.config.admin;
    if (!admin || (await this.usersService.findByUsername(admin.username))) return;
    try {
      await this.authService.createAccount(admin, 'admin');
      this.logger.log(`Created admin account "${admin.username}" from ADMIN_USERNAME.`);
    } catch (error) {
      // Another instance starting at the same time created it first: that is the goal.
      if (!(error instanceof ConflictException)) throw error;
    }
  }
}
