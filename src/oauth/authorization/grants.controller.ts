import { Controller, Delete, Get, HttpCode, NotFoundException, Param } from '@nestjs/common';
import { ApiNoContentResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../../access/decorators/auth.decorator.js';
import { CurrentUser } from '../../access/decorators/current-user.decorator.js';
import { CurrentRequest, type RequestContext } from '../../http/request-context.js';
import type { User } from '../../users/entities/user.entity.js';
import { ClientsService } from '../clients/clients.service.js';
import { ConsentsService } from './consents.service.js';
import { ConsentResponseDto } from './dto/consent-response.dto.js';

/** The applications a user allowed (OAUTH.md, "Consent"): listed and withdrawn. */
@ApiTags('sessions')
@Controller('auth/grants')
export class GrantsController {
  constructor(
    private readonly consents: ConsentsService,
    private readonly clients: ClientsService,
  ) {}

  @Get()
  @Auth()
  @ApiOperation({ operationId: 'listGrants', summary: 'The applications you allowed, and the scopes' })
  @ApiOkResponse({ type: ConsentResponseDto, isArray: true, description: 'The applications you allowed, newest first (none: an empty list)' })
  async list(@CurrentUser() user: User): Promise<ConsentResponseDto[]> {
    const consents = await this.consents.list(user.id);
    return Promise.all(
      consents.map(async (consent) => ({
        client_id: consent.clientId,
        client_name: (await this.clients.findActive(consent.clientId))?.clientName ?? null,
        scope: consent.scope,
        created_at: consent.createdAt.toISOString(),
        updated_at: consent.updatedAt.toISOString(),
      })),
    );
  }

  @Delete(':client_id')
  @HttpCode(204)
  @Auth()
  @ApiOperation({ operationId: 'withdrawGrant', summary: 'Withdraw what you allowed an application', description: 'Its tokens for you end at once, and it must ask again.' })
  @ApiNoContentResponse({ description: 'Withdrawn' })
  @ApiNotFoundResponse({ description: 'You allowed this application nothing' })
  async withdraw(@CurrentUser() user: User, @Param('client_id') clientId: string, @CurrentRequest() request: RequestContext): Promise<void> {
    if (!(await this.consents.withdraw(user.id, clientId.slice(0, 64), request))) throw new NotFoundException('You allowed this application nothing.');
  }
}
