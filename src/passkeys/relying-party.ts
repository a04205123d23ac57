import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';

/**
 * Who Gatehouse is to a browser and an authenticator (WebAuthn §5.4.2,
 * §7.1 steps 9 and 13): the RP ID (WEBAUTHN_RP_ID, or PUBLIC_URL's host),
 * the expected origin (PUBLIC_URL's: a ceremony run on any other page is
 * refused, which is what makes a passkey phishing-resistant) and the name an
 * authenticator shows. Read on every use, since with PORT=0 PUBLIC_URL is
 * settled only once the service listens.
 */
@Injectable()
export class RelyingParty {
  constructor(@Inject(APP_CONFIGURATION) private readonly config: AppConfiguration) {}

  get id(): string {
    return this.config.webauthn.rpId ?? new URL(this.config.publicUrl).hostname;
  }

  get origin(): string {
    return new URL(this.config.publicUrl).origin;
  }

  get name(): string {
    return this.config.webauthn.rpName;
  }
}
