import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';

export const REQUIRED = { message: '$property is required' };

/**
 * What every grant may carry besides its own parameters: the client's
 * credentials in the body (client_secret_post; the client-authentication
 * methods read them), the scope, and the resource (RFC 8707).
 */
export class GrantParametersDto {
  @ApiPropertyOptional({ description: 'Required: the grant (`password` when omitted, as FastAPI’s OAuth2PasswordRequestForm allows).', example: 'authorization_code' })
  @IsOptional()
  @IsString()
  grant_type?: string;

  @ApiPropertyOptional({ description: 'The scopes asked for, space-separated (RFC 6749 §3.3); a refresh may only narrow them.', example: 'openid profile' })
  @IsOptional()
  @IsString()
  @MaxLength(1024)
  scope?: string;

  @ApiPropertyOptional({ description: 'client_secret_post and public clients (`none`): the client’s id.', example: 'k3Jd8sQe0aLx2vPz7Yt1Rw' })
  @IsOptional()
  @IsString()
  @MaxLength(128)
  client_id?: string;

  @ApiPropertyOptional({ description: 'client_secret_post: the client’s secret.', format: 'password' })
  @IsOptional()
  @IsString()
  @MaxLength(256)
  client_secret?: string;
}

/** RFC 8707 §2: the resource the access token is for (its `aud`), among those registered for the client. */
export class ResourceParameterDto extends GrantParametersDto {
  @ApiPropertyOptional({ description: 'RFC 8707: the resource server the access token is for (its `aud`); one of the client’s registered resources.', example: 'https://api.example.com' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  resource?: string;
}
