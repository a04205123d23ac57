import { Body, Controller, Get, HttpCode, Post, UseInterceptors } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { UserResponseDto } from '../users/dto/user-response.dto.js';
import type { User } from '../users/entities/user.entity.js';
import { AuthService } from './auth.service.js';
import { Auth } from './decorators/auth.decorator.js';
import { CurrentUser } from './decorators/current-user.decorator.js';
import { OAuthRequestBody } from './decorators/oauth-request-body.decorator.js';
import { RegisterDto } from './dto/register.dto.js';
import { TokenRequestDto } from './dto/token-request.dto.js';
import { NoStoreInterceptor } from './interceptors/no-store.interceptor.js';
import { OAuthErrorDto, TokenResponseDto } from './dto/token-response.dto.js';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(private readonly authService: AuthService) {}

  @Post()
  @ApiOperation({ operationId: 'register', summary: 'Register an account (role user)' })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiBadRequestResponse({ description: 'Invalid body: username or password breaks the rules, or an unknown field.' })
  @ApiConflictResponse({ description: 'Username is already taken (case-insensitively).' })
  async register(@Body() body: RegisterDto): Promise<UserResponseDto> {
    return UserResponseDto.from(await this.authService.register(body));
  }

  @Post('token')
  @HttpCode(200)
  @UseInterceptors(NoStoreInterceptor)
  @ApiOperation({
    operationId: 'token',
    summary: 'OAuth2 token endpoint (password grant)',
    description: 'Form-encoded or JSON. A client Authorization header, as Swagger UI sends, is ignored.',
  })
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiBody({ type: TokenRequestDto })
  @ApiOkResponse({ type: TokenResponseDto })
  @ApiBadRequestResponse({ type: OAuthErrorDto, description: 'invalid_request or unsupported_grant_type' })
  @ApiUnauthorizedResponse({ type: OAuthErrorDto, description: 'invalid_grant: bad credentials' })
  token(@OAuthRequestBody(TokenRequestDto) body: TokenRequestDto): Promise<TokenResponseDto> {
    return this.authService.grantToken(body);
  }

  @Get('me')
  @Auth()
  @ApiOperation({ operationId: 'me', summary: 'The signed-in account' })
  @ApiOkResponse({ type: UserResponseDto })
  me(@CurrentUser() user: User): UserResponseDto {
    return UserResponseDto.from(user);
  }
}
