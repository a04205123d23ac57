import { Body, Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Patch, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth } from '../access/decorators/auth.decorator.js';
import { PageQueryDto } from '../http/page-query.dto.js';
import { UpdateUserDto } from './dto/update-user.dto.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import { UsersPageDto } from './dto/users-page.dto.js';
import { UserIdPipe } from './user-id.pipe.js';
import { SessionResponseDto } from '../sessions/dto/session-response.dto.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { ClientsService } from '../oauth/clients/clients.service.js';
import { LAST_ADMIN_MESSAGE, UsersService } from '../users/users.service.js';
import { CurrentUser } from '../access/decorators/current-user.decorator.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import type { User } from '../users/entities/user.entity.js';
import { PasskeyResponseDto } from '../passkeys/dto/passkey-responses.dto.js';
import { NO_SUCH_PASSKEY, PasskeysService } from '../passkeys/passkeys.service.js';

/** Account management for admins. */
@ApiTags('users')
@Controller('users')
@Auth('admin')
export class UsersController {
  constructor(
    private readonly usersService: UsersService,
    private readonly sessions: SessionsService,
    private readonly clients: ClientsService,
    private readonly passkeys: PasskeysService,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listUsers', summary: 'List accounts, sorted by id' })
  @ApiOkResponse({ type: UsersPageDto, description: 'One page of accounts' })
  @ApiBadRequestResponse({ description: 'page or pageSize out of range' })
  async list(@Query() { page, pageSize }: PageQueryDto): Promise<UsersPageDto> {
    const { items, total } = await this.usersService.findPage(page, pageSize);
    return { items: items.map((user) => UserResponseDto.from(user)), total, page, pageSize };
  }

  @Patch(':id')
  @ApiOperation({ operationId: 'updateUser', summary: 'Change an account’s role' })
  @ApiParam({ name: 'id', type: Number })
  @ApiOkResponse({ type: UserResponseDto, description: 'The account with its new role' })
  @ApiBadRequestResponse({ description: 'Bad id or body' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: LAST_ADMIN_MESSAGE })
  async update(@Param('id', UserIdPipe) id: number, @Body() body: UpdateUserDto, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.usersService.changeRole(id, body.role, { actorId: admin.id, request }));
  }

  @Get(':id/sessions')
  @ApiOperation({ operationId: 'listUserSessions', summary: 'An account’s live sessions, newest first' })
  @ApiParam({ name: 'id', type: Number })
  @ApiOkResponse({ type: SessionResponseDto, isArray: true, description: 'The account’s live sessions' })
  @ApiBadRequestResponse({ description: 'Bad id' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async listSessions(@Param('id', UserIdPipe) id: number): Promise<SessionResponseDto[]> {
    await this.usersService.findByIdOrThrow(id);
    return SessionResponseDto.list(await this.sessions.listLive(id), async (clientId) => (await this.clients.findActive(clientId))?.clientName ?? null);
  }

  @Delete(':id/sessions')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'endUserSessions',
    summary: 'End every session of an account (its refresh and access tokens stop working)',
    description: 'The password still works: to lock someone out, change their role or delete the account.',
  })
  @ApiParam({ name: 'id', type: Number })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiBadRequestResponse({ description: 'Bad id' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async endSessions(@Param('id', UserIdPipe) id: number, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.usersService.findByIdOrThrow(id);
    await this.sessions.endAll(id, undefined, { actorId: admin.id, request });
  }

  @Get(':id/passkeys')
  @ApiOperation({ operationId: 'listUserPasskeys', summary: 'An account’s passkeys, oldest first' })
  @ApiParam({ name: 'id', type: Number })
  @ApiOkResponse({ type: PasskeyResponseDto, isArray: true, description: 'The account’s passkeys' })
  @ApiBadRequestResponse({ description: 'Bad id' })
  @ApiNotFoundResponse({ description: 'No such user' })
  async listPasskeys(@Param('id', UserIdPipe) id: number): Promise<PasskeyResponseDto[]> {
    await this.usersService.findByIdOrThrow(id);
    return (await this.passkeys.list(id)).map((passkey) => PasskeyResponseDto.from(passkey));
  }

  @Delete(':id/passkeys/:passkeyId')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'deleteUserPasskey',
    summary: 'Remove a passkey of an account (a lost or stolen authenticator)',
    description: 'It no longer signs in; sessions it started go on (end them with DELETE /users/{id}/sessions). The last passkey may go too: the rule that keeps a way in is the account’s own.',
  })
  @ApiParam({ name: 'id', type: Number })
  @ApiParam({ name: 'passkeyId', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Removed' })
  @ApiBadRequestResponse({ description: 'Bad id' })
  @ApiNotFoundResponse({ description: `No such user, or ${NO_SUCH_PASSKEY.toLowerCase()}` })
  async removePasskey(@Param('id', UserIdPipe) id: number, @Param('passkeyId', new ParseUUIDPipe()) passkeyId: string, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.usersService.findByIdOrThrow(id);
    await this.passkeys.removeAsAdmin(id, passkeyId, { actorId: admin.id, request });
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({ operationId: 'deleteUser', summary: 'Delete an account and its refresh tokens' })
  @ApiParam({ name: 'id', type: Number })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiBadRequestResponse({ description: 'Bad id' })
  @ApiNotFoundResponse({ description: 'No such user' })
  @ApiConflictResponse({ description: LAST_ADMIN_MESSAGE })
  async remove(@Param('id', UserIdPipe) id: number, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.usersService.delete(id, { actorId: admin.id, request });
  }
}
