import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Inject } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import { ClientsService } from '../clients/clients.service.js';

/** At most this long between sweeps, so an unused client outlives REGISTRATION_TTL by at most this. */
const MAX_SWEEP_INTERVAL_MS = 15 * 60 * 1000;

/**
 * Deletes the openly registered clients that got no token within
 * REGISTRATION_TTL (ClientsService.sweepUnused), on a timer, on every
 * instance: each deletion is one conditional DELETE, so two instances
 * sweeping at once delete (and audit) a client once.
 */
@Injectable()
export class RegistrationSweeper implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RegistrationSweeper.name);
  private timer?: NodeJS.Timeout;
  private sweeping: Promise<void> | null = null;

  constructor(
    private readonly clients: ClientsService,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  onApplicationBootstrap(): void {
    const interval = Math.min(MAX_SWEEP_INTERVAL_MS, this.config.clients.registrationTtlSeconds * 1000);
    this.timer = setInterval(() => void this.sweep(), interval).unref();
  }

  async onModuleDestroy(): Promise<void> {
    clearInterval(this.timer);
    await this.sweeping;
  }

  /** One sweep (one at a time per instance); a failure is logged and the next sweep tries again. */
  sweep(): Promise<void> {
    this.sweeping ??= this.clients
      .sweepUnused()
      .then(
        (deleted) => {
          if (deleted) this.logger.log(`deleted ${deleted} registered clients that got no token within REGISTRATION_TTL`);
        },
        (error: Error) => this.logger.warn(`could not delete unused registered clients: ${error.message}`),
      )
      .finally(() => (this.sweeping = null));
    return this.sweeping;
  }
}
