import { Inject, Injectable, NotFoundException, type CanActivate } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';

export const EMAIL_OFF = 'E-mail addresses, verification and password reset are turned off on this service (EMAIL_ENABLED=false).';

/** The e-mail routes exist only with EMAIL_ENABLED (the default): otherwise 404, saying why. */
@Injectable()
export class EmailEnabledGuard implements CanActivate {
  constructor(@Inject(APP_CONFIGURATION) private readonly config: AppConfiguration) {}

  canActivate(): boolean {
    if (!this.config.mail.enabled) throw new NotFoundException(EMAIL_OFF);
    return true;
  }
}
