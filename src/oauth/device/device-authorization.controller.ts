import { Body, Controller, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Public } from '../../access/decorators/public.decorator.js';
import { fieldsOf } from '../../pages/page-params.js';
import { ClientAuthenticatedEndpoint } from '../client-authentication/client-authenticated-endpoint.decorator.js';
import { DeviceAuthorizationRequestDto, DeviceAuthorizationResponseDto } from './dto/device-authorization.dto.js';
import { DeviceFlowService } from './device-flow.service.js';

/** The device authorization endpoint (RFC 8628 §3.1). */
@ApiTags('auth')
@Controller('auth')
export class DeviceAuthorizationController {
  constructor(private readonly deviceFlow: DeviceFlowService) {}

  @Public()
  @Post('device')
  @HttpCode(200)
  @ApiOperation({
    operationId: 'deviceAuthorization',
    summary: 'Start a device login (RFC 8628): codes for a TV, a CLI, a device without a browser',
    description:
      'Client authentication as at the token endpoint (`client_secret_basic`, `client_secret_post`, or `none` with `client_id` for a public client); ' +
      'the client must be registered for `urn:ietf:params:oauth:grant-type:device_code`. The device shows `user_code` and `verification_uri` ' +
      '(or a QR code of `verification_uri_complete`), then polls POST /auth/token with `grant_type=urn:ietf:params:oauth:grant-type:device_code` ' +
      'and `device_code` every `interval` seconds: `authorization_pending`, `slow_down` (+5 s), `access_denied`, `expired_token`, then the tokens once.',
  })
  @ClientAuthenticatedEndpoint(DeviceAuthorizationRequestDto, 'unauthorized_client (not registered for the device grant), invalid_scope, invalid_request')
  @ApiOkResponse({ type: DeviceAuthorizationResponseDto, description: 'The codes' })
  authorize(@Body() body: unknown, @Req() http: FastifyRequest): Promise<DeviceAuthorizationResponseDto> {
    return this.deviceFlow.authorize(fieldsOf(body), http);
  }
}
