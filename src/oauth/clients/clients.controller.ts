import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth } from '../../access/decorators/auth.decorator.js';
import { CurrentUser } from '../../access/decorators/current-user.decorator.js';
import { PageQueryDto } from '../../http/page-query.dto.js';
import { CurrentRequest, type RequestContext } from '../../http/request-context.js';
import type { User } from '../../users/entities/user.entity.js';
import { ClientsService } from './clients.service.js';
import { ClientResponseDto, ClientSecretResponseDto, IssuedClientResponseDto } from './dto/client-response.dto.js';
import { ClientsPageDto } from './dto/clients-page.dto.js';
import { CreateClientDto, metadataOfBody } from './dto/create-client.dto.js';
import { UpdateClientDto } from './dto/update-client.dto.js';

const CLIENT_ID_PARAM = { name: 'client_id', type: String, description: 'The client_id Gatehouse gave the client.' };
const BAD_METADATA = 'Bad metadata; the message starts with the RFC 7591 error (invalid_redirect_uri or invalid_client_metadata) and names the field.';

/** The OAuth client registry, for admins (RFC 7591 metadata names). */
@ApiTags('clients')
@Controller('clients')
@Auth('admin')
export class ClientsController {
  constructor(private readonly clients: ClientsService) {}

  @Post()
  @ApiOperation({ operationId: 'createClient', summary: 'Register a client; a confidential one gets its secret in this answer only' })
  @ApiCreatedResponse({ type: IssuedClientResponseDto, description: 'The client, with `client_secret` (confidential clients) shown this once' })
  @ApiBadRequestResponse({ description: BAD_METADATA })
  async create(@Body() body: CreateClientDto, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<IssuedClientResponseDto> {
    const issued = await this.clients.create({ ...metadataOfBody(body), clientName: body.client_name }, { actorId: admin.id, request });
    return IssuedClientResponseDto.fromIssued(issued);
  }

  @Get()
  @ApiOperation({ operationId: 'listClients', summary: 'List clients, oldest first' })
  @ApiOkResponse({ type: ClientsPageDto, description: 'One page of clients' })
  @ApiBadRequestResponse({ description: 'page or pageSize out of range' })
  async list(@Query() { page, pageSize }: PageQueryDto): Promise<ClientsPageDto> {
    const { items, total } = await this.clients.findPage(page, pageSize);
    return { items: items.map((client) => ClientResponseDto.from(client)), total, page, pageSize };
  }

  @Get(':client_id')
  @ApiOperation({ operationId: 'getClient', summary: 'A client’s metadata' })
  @ApiParam(CLIENT_ID_PARAM)
  @ApiOkResponse({ type: ClientResponseDto, description: 'The client (never its secret)' })
  @ApiNotFoundResponse({ description: 'No such client' })
  async get(@Param('client_id') clientId: string): Promise<ClientResponseDto> {
    return ClientResponseDto.from(await this.clients.findOrThrow(clientId));
  }

  @Patch(':client_id')
  @ApiOperation({
    operationId: 'updateClient',
    summary: 'Change a client’s metadata',
    description: 'The fields given replace the stored ones (lists as a whole); the result must pass the rules of a new registration. A client made confidential gets a secret in this answer; one made public (`none`) loses its secrets.',
  })
  @ApiParam(CLIENT_ID_PARAM)
  @ApiOkResponse({ type: IssuedClientResponseDto, description: 'The client as changed (with `client_secret` only if one was made)' })
  @ApiBadRequestResponse({ description: BAD_METADATA })
  @ApiNotFoundResponse({ description: 'No such client' })
  @ApiConflictResponse({ description: 'The client kept changing meanwhile; try again' })
  async update(@Param('client_id') clientId: string, @Body() body: UpdateClientDto, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<IssuedClientResponseDto> {
    return IssuedClientResponseDto.fromIssued(await this.clients.update(clientId, metadataOfBody(body), { actorId: admin.id, request }));
  }

  @Delete(':client_id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteClient', summary: 'Delete a client; the tokens it got stop working' })
  @ApiParam(CLIENT_ID_PARAM)
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'No such client' })
  async remove(@Param('client_id') clientId: string, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.clients.delete(clientId, { actorId: admin.id, request });
  }

  @Post(':client_id/secret')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'rotateClientSecret',
    summary: 'Give a confidential client a new secret; the old one works for CLIENT_SECRET_GRACE more',
    description: 'Only the secret just replaced keeps its grace: a second rotation ends the first one’s at once.',
  })
  @ApiParam(CLIENT_ID_PARAM)
  @ApiCreatedResponse({ type: ClientSecretResponseDto, description: 'The new secret, shown this once' })
  @ApiBadRequestResponse({ description: 'A public client: it has no secret' })
  @ApiNotFoundResponse({ description: 'No such client' })
  async rotateSecret(@Param('client_id') clientId: string, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<ClientSecretResponseDto> {
    const { client, clientSecret, previousSecretExpiresAt } = await this.clients.rotateSecret(clientId, { actorId: admin.id, request });
    return { client_id: client.clientId, client_secret: clientSecret, client_secret_expires_at: 0, previous_secret_expires_at: previousSecretExpiresAt.getTime() / 1000 };
  }
}
