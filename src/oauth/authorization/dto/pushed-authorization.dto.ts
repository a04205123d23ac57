import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { AuthorizationRequestDto } from './authorization-request.dto.js';

/** RFC 9126 §2.1: the authorization request's parameters, with the client's authentication as at the token endpoint. */
export class PushedAuthorizationRequestDto extends AuthorizationRequestDto {
  @ApiPropertyOptional({ example: 'k8Yd0s…', description: '`client_secret_post` (or Basic instead); public clients send `client_id` only.' })
  client_secret?: unknown;
}

/** RFC 9126 §2.2. */
export class PushedAuthorizationResponseDto {
  @ApiProperty({ example: 'urn:ietf:params:oauth:request_uri:Hk3yJ0m9zQ2cX1pL8vF7aB4nR6tS5wE0uD9iO2gK3hM', description: 'For `GET /authorize?client_id=…&request_uri=…`, once.' })
  request_uri: string;

  @ApiProperty({ example: 60, description: 'Seconds until the request_uri expires unused.' })
  expires_in: number;
}
