import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../access/decorators/auth.decorator.js';
import { CurrentPrincipal, CurrentUser } from '../access/decorators/current-user.decorator.js';
import { ClientsAllowed } from '../access/decorators/clients-allowed.decorator.js';
import type { Principal } from '../access/principal.js';
import { Public } from '../access/decorators/public.decorator.js';
import type { User } from '../users/entities/user.entity.js';
import { MessageResponseDto } from './dto/message-response.dto.js';

/** The routes the service guards, as API.md words them. */
@ApiTags('greeting')
@Controller()
export class GreetingController {
  @Get()
  @Auth()
  @ClientsAllowed()
  @ApiOperation({ operationId: 'greet', summary: 'Greets the signed-in user (or the client, for a client_credentials token)' })
  @ApiOkResponse({ type: MessageResponseDto, description: 'The message', example: { message: 'Hello, alice with ID: 1!' } })
  greet(@CurrentPrincipal() principal: Principal): MessageResponseDto {
    if (principal.kind === 'client') return { message: `Hello, client ${principal.clientId}!` };
    return { message: `Hello, ${principal.user.username} with ID: ${principal.user.id}!` };
  }

  @Get('unprotected')
  @Public()
  @ApiOperation({ operationId: 'unprotected', summary: 'Open to everyone' })
  @ApiOkResponse({ type: MessageResponseDto, description: 'The message', example: { message: 'This endpoint is open to everyone!' } })
  unprotected(): MessageResponseDto {
    return { message: 'This endpoint is open to everyone!' };
  }

  @Get('protected')
  @Auth()
  @ApiOperation({ operationId: 'protected', summary: 'Any signed-in user (Basic or Bearer)' })
  @ApiOkResponse({ type: MessageResponseDto, description: 'The message', example: { message: 'Welcome, alice! You accessed a protected endpoint.' } })
  protectedRoute(@CurrentUser() user: User): MessageResponseDto {
    return { message: `Welcome, ${user.username}! You accessed a protected endpoint.` };
  }

  @Get('protected-admin')
  @Auth('admin')
  @ApiOperation({ operationId: 'protectedAdmin', summary: 'Admins only' })
  @ApiOkResponse({ type: MessageResponseDto, description: 'The message', example: { message: 'Hello, Admin root! This is a top-secret route.' } })
  protectedAdmin(@CurrentUser() user: User): MessageResponseDto {
    return { message: `Hello, Admin ${user.username}! This is a top-secret route.` };
  }
}
