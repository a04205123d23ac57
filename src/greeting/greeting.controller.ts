import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../auth/decorators/auth.decorator.js';
import { CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { Public } from '../auth/decorators/public.decorator.js';
import type { User } from '../users/entities/user.entity.js';
import { MessageResponseDto } from './dto/message-response.dto.js';

/** The routes the service guards, as API.md words them. */
@ApiTags('greeting')
@Controller()
export class GreetingController {
  @Get()
  @Auth()
  @ApiOperation({ operationId: 'greet', summary: 'Greets the signed-in user' })
  @ApiOkResponse({ type: MessageResponseDto, description: 'The message', example: { message: 'Hello, alice with ID: 1!' } })
  greet(@CurrentUser() user: User): MessageResponseDto {
    return { message: `Hello, ${user.username} with ID: ${user.id}!` };
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
