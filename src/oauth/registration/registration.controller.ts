import { Controller, Delete, Get, HttpCode, Post, Put, UseGuards } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBearerAuth,
  ApiBody,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { Auth } from '../../access/decorators/auth.decorator.js';
import { CurrentUser } from '../../access/decorators/current-user.decorator.js';
import { Public } from '../../access/decorators/public.decorator.js';
import { CurrentRequest, type RequestContext } from '../../http/request-context.js';
import type { User } from '../../users/entities/user.entity.js';
import { CreateClientDto } from '../clients/dto/create-client.dto.js';
import { OAuthRequestBody } from '../oauth-request-body.decorator.js';
import { RegistrationResponseDto, ReplaceRegistrationDto } from './dto/registration.dto.js';
import { RegistrationService, type ManagedClient } from './registration.service.js';
import { Managed, RegistrationTokenGuard } from './registration-token.guard.js';

const REGISTER_OPERATION = {
  operationId: 'registerClient',
  summary: 'Dynamic client registration (RFC 7591)',
  description:
    'The RFC 7591 metadata in JSON; unknown fields are ignored. The answer has the client’s `client_id`, its `client_secret` (confidential clients, this once), a `registration_access_token` and the `registration_client_uri` that reads, replaces and deletes it (RFC 7592). ' +
    'CLIENT_REGISTRATION says who may register: `admin` (the default) an admin’s access token; `open` anyone (throttled per address, never first-party nor the password grant, deleted if unused after REGISTRATION_TTL); `off` nobody (404).',
};
const CREATED = { type: RegistrationResponseDto, description: 'Registered (RFC 7591 §3.2.1)' };
const BAD_METADATA = { description: 'RFC 7591 §3.2.2: `error` is `invalid_redirect_uri` or `invalid_client_metadata`, `error_description` says which field and why.' };
const BAD_TOKEN = { description: '`invalid_token`: no registration access token, another client’s, or the client was deleted (RFC 7592 §2).' };
const CLIENT_ID_PARAM = { name: 'client_id', type: String, description: 'The client_id of the registration.' };

/** CLIENT_REGISTRATION=admin: the initial access token (RFC 7591 §3) is an admin's. */
@ApiTags('clients')
@Controller('register')
export class AdminRegistrationController {
  constructor(private readonly registration: RegistrationService) {}

  @Post()
  @Auth('admin')
  @ApiOperation(REGISTER_OPERATION)
  @ApiBody({ type: CreateClientDto })
  @ApiCreatedResponse(CREATED)
  @ApiBadRequestResponse(BAD_METADATA)
  register(@OAuthRequestBody(CreateClientDto, 'invalid_client_metadata') body: CreateClientDto, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<RegistrationResponseDto> {
    return this.registration.register(body, 'admin', { actorId: admin.id, request });
  }
}

/** CLIENT_REGISTRATION=open: what MCP clients need, anyone registers. */
@ApiTags('clients')
@Controller('register')
@Public()
export class OpenRegistrationController {
  constructor(private readonly registration: RegistrationService) {}

  @Post()
  @ApiOperation(REGISTER_OPERATION)
  @ApiBody({ type: CreateClientDto })
  @ApiCreatedResponse(CREATED)
  @ApiBadRequestResponse(BAD_METADATA)
  @ApiTooManyRequestsResponse({ description: 'Too many registrations from this address (Retry-After says when to come back)' })
  register(@OAuthRequestBody(CreateClientDto, 'invalid_client_metadata') body: CreateClientDto, @CurrentRequest() request: RequestContext): Promise<RegistrationResponseDto> {
    return this.registration.register(body, 'self', { request });
  }
}

/** RFC 7592: the client, managed with its registration access token (not an access token: the guard lets it through). */
@ApiTags('clients')
@Controller('register')
@Public()
@UseGuards(RegistrationTokenGuard)
@ApiBearerAuth('bearer')
export class ClientConfigurationController {
  constructor(private readonly registration: RegistrationService) {}

  @Get(':client_id')
  @ApiOperation({ operationId: 'readRegistration', summary: 'Read a registered client (RFC 7592 §2.1), with its registration access token', description: 'The secret is not shown again: Gatehouse keeps a hash.' })
  @ApiParam(CLIENT_ID_PARAM)
  @ApiOkResponse({ type: RegistrationResponseDto, description: 'The client' })
  @ApiUnauthorizedResponse(BAD_TOKEN)
  read(@Managed() managed: ManagedClient): RegistrationResponseDto {
    return this.registration.read(managed);
  }

  @Put(':client_id')
  @ApiOperation({
    operationId: 'replaceRegistration',
    summary: 'Replace a registered client’s metadata (RFC 7592 §2.2)',
    description: 'The body is the whole metadata, with `client_id`: fields left out are removed (take their defaults). The secret cannot be changed; a `client_secret` sent must be the current one. First-party and the password grant cannot be gained.',
  })
  @ApiParam(CLIENT_ID_PARAM)
  @ApiBody({ type: ReplaceRegistrationDto })
  @ApiOkResponse({ type: RegistrationResponseDto, description: 'The client as replaced (with `client_secret` only if it was just made confidential)' })
  @ApiBadRequestResponse(BAD_METADATA)
  @ApiUnauthorizedResponse(BAD_TOKEN)
  replace(@Managed() managed: ManagedClient, @OAuthRequestBody(ReplaceRegistrationDto, 'invalid_client_metadata') body: ReplaceRegistrationDto, @CurrentRequest() request: RequestContext): Promise<RegistrationResponseDto> {
    return this.registration.replace(managed, body, request);
  }

  @Delete(':client_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteRegistration', summary: 'Delete a registered client (RFC 7592 §2.3); the tokens it got stop working' })
  @ApiParam(CLIENT_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiUnauthorizedResponse(BAD_TOKEN)
  async remove(@Managed() managed: ManagedClient, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.registration.delete(managed, request);
  }
}
