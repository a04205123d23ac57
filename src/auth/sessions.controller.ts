import { Controller, Delete, Get, HttpCode, Param, ParseUUIDPipe, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth } from '../access/decorators/auth.decorator.js';
import { CurrentUser } from '../access/decorators/current-user.decorator.js';
import type { User } from '../users/entities/user.entity.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { CurrentSessionId } from '../access/decorators/current-session.decorator.js';
import { EndSessionsQueryDto } from '../sessions/dto/end-sessions-query.dto.js';
import { SessionResponseDto } from '../sessions/dto/session-response.dto.js';
import { NO_SUCH_SESSION, SessionsService } from '../sessions/sessions.service.js';
import { ClientsService } from '../oauth/clients/clients.service.js';

/**
 * The caller's own sessions: where they are logged in, and ending one or all.
 * Here rather than in sessions/, which the guards depend on; each session names its application (a client of oauth/).
 */
@ApiTags('sessions')
@Controller('auth/sessions')
@Auth()
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly clients: ClientsService,
  ) {}

  @Get()
  @ApiOperation({ operationId: 'listSessions', summary: 'Where you are logged in: your live sessions, newest first, the current one marked' })
  @ApiOkResponse({ type: SessionResponseDto, isArray: true, description: 'Your live sessions' })
  async list(@CurrentUser() user: User, @CurrentSessionId() current?: string): Promise<SessionResponseDto[]> {
    return SessionResponseDto.list(await this.sessions.listLive(user.id), async (clientId) => (await this.clients.findActive(clientId))?.clientName ?? null, current);
  }

  @Delete(':id')
  @HttpCode(204)
  @ApiOperation({
    operationId: 'endSession',
    summary: 'End one of your sessions',
    description: 'Its refresh tokens stop working at once, and its access tokens on every instance. Another user’s session, or one already ended, is 404.',
  })
  @ApiParam({ name: 'id', format: 'uuid' })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiBadRequestResponse({ description: 'The id is not a UUID' })
  @ApiNotFoundResponse({ description: NO_SUCH_SESSION })
  async end(@CurrentUser() user: User, @Param('id', new ParseUUIDPipe()) id: string, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.sessions.endOne(user.id, id, { actorId: user.id, request });
  }

  @Delete()
  @HttpCode(204)
  @ApiOperation({
    operationId: 'endSessions',
    summary: 'End all your other sessions (all=true: this one too)',
    description: 'With Basic credentials there is no current session: every session ends.',
  })
  @ApiNoContentResponse({ description: 'Ended' })
  @ApiBadRequestResponse({ description: 'all is not true or false' })
  async endAll(@CurrentUser() user: User, @Query() { all }: EndSessionsQueryDto, @CurrentRequest() request: RequestContext, @CurrentSessionId() current?: string): Promise<void> {
    await this.sessions.endAll(user.id, all ? undefined : current, { actorId: user.id, request });
  }
}
