import { Controller, Get, HttpCode, NotFoundException, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { Auth } from '../access/decorators/auth.decorator.js';
import { SigningKeysService, type KeyDescription } from '../tokens/signing-keys.service.js';
import { CurrentUser } from '../access/decorators/current-user.decorator.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import type { User } from '../users/entities/user.entity.js';
import { SigningKeyDto } from './dto/signing-key.dto.js';

/** The signing keys, for admins: list, rotate (the next key is published before it signs), revoke (compromise). */
@ApiTags('keys')
@Controller('keys')
@Auth('admin')
export class KeysController {
  constructor(private readonly signingKeys: SigningKeysService) {}

  @Get()
  @ApiOperation({ operationId: 'listKeys', summary: 'The signing keys, newest first' })
  @ApiOkResponse({ type: [SigningKeyDto], description: 'Every key in the database' })
  list(): Promise<KeyDescription[]> {
    return this.signingKeys.describe();
  }

  @Post('rotate')
  @HttpCode(201)
  @ApiOperation({
    operationId: 'rotateKeys',
    summary: 'Add the next signing key',
    description: 'Published at once; it starts signing after KEY_PUBLISH_AHEAD. The current key keeps verifying until every token it signed has expired. With JWT_ALGORITHM=HS256 the stored keys are RS256 and sign id tokens and logout tokens only (access tokens: JWT_SECRET, rotated by hand).',
  })
  @ApiOkResponse({ type: SigningKeyDto, description: 'The new key' })
  rotate(@CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<KeyDescription> {
    return this.signingKeys.rotate({ actorId: admin.id, request });
  }

  @Post(':kid/revoke')
  @HttpCode(200)
  @ApiParam({ name: 'kid', description: 'The key id, as in the JWKS and in tokens' })
  @ApiOperation({ operationId: 'revokeKey', summary: 'Revoke a signing key at once (compromise): every token it signed ends' })
  @ApiOkResponse({ type: SigningKeyDto, description: 'The revoked key' })
  @ApiNotFoundResponse({ description: 'No such key' })
  async revoke(@Param('kid') kid: string, @CurrentUser() admin: User, @CurrentRequest() request: RequestContext): Promise<KeyDescription> {
    const key = await this.signingKeys.revoke(kid, { actorId: admin.id, request });
    if (!key) throw new NotFoundException(`There is no signing key ${kid}.`);
    return key;
  }
}
