import { Body, Controller, Get, HttpCode, Post, Put } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import { AuthService } from './auth.service.js';
import { Auth } from '../access/decorators/auth.decorator.js';
import { CurrentUser } from '../access/decorators/current-user.decorator.js';
import { Public } from '../access/decorators/public.decorator.js';
import { ChangePasswordDto } from './dto/change-password.dto.js';
import { RegisterDto } from './dto/register.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly authService: AuthService) {}

  @Public()
  @Post()
  @ApiOperation({
    operationId: 'register',
    summary: 'Register an account (role user)',
    description:
      'An `email` is stored unverified and mailed a link and a code. The answer never tells whether another account has the address: ' +
      'one verified elsewhere is stored all the same, can never be verified here, and its owner is mailed a notice instead.',
  })
  @ApiCreatedResponse({ type: UserResponseDto, description: 'The new account' })
  @ApiBadRequestResponse({ description: 'Invalid body: the username or password breaks the rules (the message says which rule: too short, contains the username, too common, breached), or an unknown field.' })
  @ApiConflictResponse({ description: 'Username is already taken (case-insensitively). Never for an e-mail address.' })
  @ApiTooManyRequestsResponse({ description: 'Too many registrations from this address, or too many in progress from it (Retry-After says when to retry).' })
  @ApiServiceUnavailableResponse({ description: 'Too many password checks are waiting for the hashing pool (Retry-After says when to retry); nothing was checked or counted.' })
  async register(@Body() body: RegisterDto, @CurrentRequest() request: RequestContext): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.authService.register(body, request));
  }

  @Put('password')
  @HttpCode(204)
  @Auth()
  @ApiOperation({
    operationId: 'changePassword',
    summary: 'Change the password; every session of the account ends',
    description: 'From the 204 on, nothing obtained with the old password works on any instance: no refresh token, no Basic credential, no access token issued before.',
  })
  @ApiNoContentResponse({ description: 'Changed' })
  @ApiBadRequestResponse({ description: 'The new password breaks the rules (the message says which rule: too short, contains the username, too common, breached), or the body is invalid' })
  @ApiTooManyRequestsResponse({ description: 'Too many wrong current passwords: counted as failed logins (Retry-After says when to retry).' })
  @ApiServiceUnavailableResponse({ description: 'Too many password checks are waiting for the hashing pool (Retry-After says when to retry); nothing was checked or counted.' })
  async changePassword(@CurrentUser() user: User, @Body() body: ChangePasswordDto, @CurrentRequest() request: RequestContext): Promise<void> {
    await this.authService.changePassword(user, body, request);
  }

  @Get('me')
  @Auth()
  @ApiOperation({ operationId: 'me', summary: 'The signed-in account' })
  @ApiOkResponse({ type: UserResponseDto, description: 'The account' })
  me(@CurrentUser() user: User): UserResponseDto {
    return UserResponseDto.from(user);
  }
}
