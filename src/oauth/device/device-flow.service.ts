import { Inject, Injectable } from '@nestjs/common';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { RequestContext } from '../../http/request-context.js';
import { RateLimitsService } from '../../throttle/rate-limits.service.js';
import { ClientAuthenticationService } from '../client-authentication/client-authentication.service.js';
import type { ClientAuthenticationRequest } from '../client-authentication/client-authentication-method.js';
import { ClientsService } from '../clients/clients.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { DEVICE_CODE_GRANT_TYPE } from '../grants/device-code.grant.js';
import { grantedScopes } from '../grants/scopes.js';
import { oauthError } from '../oauth-error.exception.js';
import { validateOAuthParameters } from '../oauth-request-body.decorator.js';
import { DEVICE_CODE_TTL_SECONDS, DEVICE_POLL_INTERVAL_SECONDS, DeviceAuthorizationsService, displayUserCode, normalizeUserCode } from './device-authorizations.service.js';
import { DeviceAuthorizationRequestDto, type DeviceAuthorizationResponseDto } from './dto/device-authorization.dto.js';
import type { DeviceAuthorization } from './entities/device-authorization.entity.js';

/** A pending request found by its user code, with its client. */
export interface EnteredCode {
  authorization: DeviceAuthorization;
  client: OAuthClient;
  /** The code as the page shows it again (XXXX-XXXX). */
  userCode: string;
}

/**
 * RFC 8628's device authorization endpoint (§3.1–3.2), and the look-up of a
 * user code for the verification page: wrong codes are counted per address
 * before the look-up (RFC 8628 §5.1: a user code has ~34 bits, only a
 * throttle keeps guessing out of reach), a right one gives its point back.
 */
@Injectable()
export class DeviceFlowService {
  private readonly wrongCodesByAddress: RateLimiterAbstract;
  private readonly publicUrl: string;

  constructor(
    private readonly devices: DeviceAuthorizationsService,
    private readonly clientAuthentication: ClientAuthenticationService,
    private readonly clients: ClientsService,
    private readonly limits: RateLimitsService,
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
  ) {
    this.wrongCodesByAddress = limits.limiter('device_user_code_fail_address', config.throttle.failuresPerAddress);
    this.publicUrl = config.publicUrl;
  }

  async authorize(body: Record<string, unknown>, http: ClientAuthenticationRequest): Promise<DeviceAuthorizationResponseDto> {
    const client = await this.clientAuthentication.authenticate(http, body);
    if (!client) throw oauthError('invalid_client', 'The device authorization endpoint needs client authentication (client_id for a public client).');
    if (!(client.grantTypes as string[]).includes(DEVICE_CODE_GRANT_TYPE)) throw oauthError('unauthorized_client', `The client is not registered for the ${DEVICE_CODE_GRANT_TYPE} grant.`);
    const { scope } = await validateOAuthParameters(DeviceAuthorizationRequestDto, body);
    const scopes = grantedScopes(client, scope, true);
    const { deviceCode, userCode } = await this.devices.issue(client.clientId, scopes);
    const verificationUri = `${this.publicUrl}/device`;
    return {
      device_code: deviceCode,
      user_code: userCode,
      verification_uri: verificationUri,
      verification_uri_complete: `${verificationUri}?user_code=${userCode}`,
      expires_in: DEVICE_CODE_TTL_SECONDS,
      interval: DEVICE_POLL_INTERVAL_SECONDS,
    };
  }

  /** The pending request a person's code names; a wrong one counts against the address (429 once too many). */
  async enter(userCode: string, request: RequestContext): Promise<EnteredCode | null> {
    const counted = await this.limits.countAll([[this.wrongCodesByAddress, request.clientAddress, 'device-code-address']], 'Too many wrong device codes from this address', request);
    const authorization = await this.devices.findPending(userCode);
    const client = authorization && (await this.clients.findActive(authorization.clientId));
    if (!authorization || !client) return null;
    await this.limits.giveBack(counted);
    return { authorization, client, userCode: displayUserCode(normalizeUserCode(userCode)!) };
  }
}
