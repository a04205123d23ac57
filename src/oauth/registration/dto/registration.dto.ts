import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { CreateClientDto } from '../../clients/dto/create-client.dto.js';
import { IssuedClientResponseDto } from '../../clients/dto/client-response.dto.js';
import type { IssuedClient } from '../../clients/clients.service.js';

/**
 * RFC 7592 §2.2: the whole of the client's metadata, with its `client_id`;
 * a field left out is removed (takes its default). `client_secret`, if sent,
 * must be the client's: a client cannot choose its secret.
 */
export class ReplaceRegistrationDto extends CreateClientDto {
  @ApiProperty({ example: 'b3JpZ2luYWwtY2xpZW50LWlk', description: 'The client_id of the URI: RFC 7592 §2.2 asks for it in the body too.' })
  @IsString()
  @MaxLength(64)
  client_id: string;

  @ApiPropertyOptional({ example: 'Qv3Jm1cB0x8Kq6vN0dJ9b1tVxGk2yH4cZ7r5uWl3sA8', description: 'If sent, it must be the client’s current secret (it cannot be changed here).' })
  @IsOptional()
  @IsString()
  @MaxLength(512)
  client_secret?: string;
}

/** RFC 7591 §3.2.1 and RFC 7592 §3: the client's metadata, with what manages it. */
export class RegistrationResponseDto extends IssuedClientResponseDto {
  @ApiProperty({ example: 'bWFuYWdlLXRoZS1jbGllbnQtYXQtaXRzLXJlZ2lzdHJhdGlvbi11cmk', description: 'RFC 7592: the Bearer token that reads, replaces and deletes the client at `registration_client_uri`. Gatehouse keeps a hash.' })
  registration_access_token: string;

  @ApiProperty({ example: 'https://auth.example.com/register/b3JpZ2luYWwtY2xpZW50LWlk', description: 'RFC 7592: where the client is read (GET), replaced (PUT) and deleted (DELETE).' })
  registration_client_uri: string;

  static of(issued: IssuedClient, registrationAccessToken: string, registrationClientUri: string): RegistrationResponseDto {
    const answer = Object.assign(new RegistrationResponseDto(), IssuedClientResponseDto.fromIssued(issued));
    // RFC 7591 §3.2.1: client_secret_expires_at is REQUIRED with a secret; 0 is "never".
    return Object.assign(answer, { registration_access_token: registrationAccessToken, registration_client_uri: registrationClientUri });
  }
}
