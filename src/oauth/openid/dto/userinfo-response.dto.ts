import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** OIDC Core §5.3.2: the claims the token's scopes release; those without a value are left out. */
export class UserinfoResponseDto {
  @ApiProperty({ description: 'The user id, as in the id token and the access token.', example: '42' })
  sub: string;

  @ApiPropertyOptional({ description: 'With `profile`: the username.', example: 'alice' })
  preferred_username?: string;

  @ApiPropertyOptional({ description: 'With `email`, when the account has an address.', example: 'alice@example.com' })
  email?: string;

  @ApiPropertyOptional({ description: 'With `email`, beside `email`: whether the address was confirmed.', example: true })
  email_verified?: boolean;
}
