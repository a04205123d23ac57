import type { AddressInfo } from 'node:net';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { GATEHOUSE_API_SCOPE } from '../../access/principal.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { GrantType } from './client-metadata.js';
import { ClientsService } from './clients.service.js';
import { redirectUriProblem } from './redirect-uris.js';

/** The id Swagger UI's Authorize dialog uses (configure-app's initOAuth). */
export const DOCS_CLIENT_ID = 'gatehouse-docs';

/** Swagger UI's OAuth2 redirect page, which @nestjs/swagger serves from swagger-ui-dist. */
export const docsRedirectUri = (publicUrl: string) => `${publicUrl}/docs/oauth2-redirect.html`;

/**
 * Swagger UI's Authorize dialog signs in with the authorization code flow and
 * PKCE (usePkceWithAuthorizationCodeGrant) through this built-in client:
 * public (a browser keeps no secret), first-party (Gatehouse's own page, so
 * no consent), with Gatehouse's own API scope, and the password grant while
 * PASSWORD_GRANT is on, for the dialog's password form.
 */
@Injectable()
export class DocsClientService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DocsClientService.name);

  constructor(
    private readonly clients: ClientsService,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.docs.enabled) return;
    if (!this.config.publicUrlAwaitsPort) return this.ensure(this.config.publicUrl);
    // PORT=0 without PUBLIC_URL: the URL is known once the server listens.
    const server = this.adapterHost.httpAdapter.getHttpServer() as import('node:http').Server;
    server.once('listening', () => {
      const { port } = server.address() as AddressInfo;
      this.ensure(`http://127.0.0.1:${port}`).catch((error: Error) => this.logger.error(`could not register Swagger UI's client: ${error.message}`));
    });
  }

  private async ensure(publicUrl: string): Promise<void> {
    const redirectUri = docsRedirectUri(publicUrl);
    const problem = redirectUriProblem(redirectUri, 'web');
    if (problem) {
      this.logger.warn(`Swagger UI's authorization code flow is off: its redirect URI ${redirectUri} ${problem} (set PUBLIC_URL to the https URL of this service)`);
      return;
    }
    const grantTypes: GrantType[] = ['authorization_code', 'refresh_token', ...(this.config.oauth.passwordGrant ? (['password'] as const) : [])];
    await this.clients.ensureBuiltIn(DOCS_CLIENT_ID, {
      clientName: 'Gatehouse API docs (Swagger UI)',
      redirectUris: [redirectUri],
      grantTypes,
      tokenEndpointAuthMethod: 'none',
      scope: `openid profile email ${GATEHOUSE_API_SCOPE}`,
      skipConsent: true,
    });
  }
}
