import { ApiProperty } from '@nestjs/swagger';
import type { Passkey } from '../entities/passkey.entity.js';

/** One passkey as its owner (or an admin) sees it: what tells it apart, never its key. */
export class PasskeyResponseDto {
  @ApiProperty({ example: '3b0c6c2e-8d1f-4f4e-9b8e-5a2f0d7c1e93', description: 'Opaque; what PATCH and DELETE /auth/passkeys/{id} take.' })
  id: string;

  @ApiProperty({ example: 'Work laptop' })
  name: string;

  @ApiProperty({ example: '2026-11-28T18:00:00.000Z' })
  createdAt: string;

  @ApiProperty({ type: String, nullable: true, example: '2026-11-29T08:12:00.000Z', description: 'The last sign-in with it; null: never used.' })
  lastUsedAt: string | null;

  @ApiProperty({ enum: ['singleDevice', 'multiDevice'], example: 'singleDevice', description: '`singleDevice`: bound to one authenticator (`amr` `hwk`); `multiDevice`: synced by its provider (`amr` `swk`).' })
  deviceType: string;

  @ApiProperty({ example: false, description: 'The authenticator reported the credential backed up (synced).' })
  backedUp: boolean;

  @ApiProperty({ type: [String], example: ['internal', 'hybrid'], description: 'How the browser can reach the authenticator, as it reported.' })
  transports: string[];

  static from(passkey: Passkey): PasskeyResponseDto {
    return {
      id: passkey.id,
      name: passkey.name,
      createdAt: passkey.createdAt.toISOString(),
      lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
      deviceType: passkey.deviceType,
      backedUp: passkey.backedUp,
      transports: passkey.transports ? passkey.transports.split(' ') : [],
    };
  }
}

/** `PublicKeyCredentialCreationOptionsJSON` (WebAuthn §5.4): for `PublicKeyCredential.parseCreationOptionsFromJSON()` and `navigator.credentials.create()`. */
export class RegistrationOptionsDto {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { id: 'auth.example.com', name: 'Gatehouse' }, description: 'The relying party: its ID (WEBAUTHN_RP_ID or PUBLIC_URL’s host) and name.' })
  rp: { id?: string; name: string };

  @ApiProperty({ type: 'object', additionalProperties: true, example: { id: 'MTI', name: 'alice', displayName: 'alice' }, description: 'The account: its user handle (base64url), name and display name.' })
  user: { id: string; name: string; displayName: string };

  @ApiProperty({ example: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c', description: 'base64url; single-use, valid for 5 minutes.' })
  challenge: string;

  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, example: [{ alg: -8, type: 'public-key' }, { alg: -7, type: 'public-key' }, { alg: -257, type: 'public-key' }] })
  pubKeyCredParams: object[];

  @ApiProperty({ example: 300000, description: 'Milliseconds.' })
  timeout?: number;

  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, example: [{ id: 'AbCd…', type: 'public-key', transports: ['internal'] }], description: 'The account’s passkeys: an authenticator holding one refuses to make another.' })
  excludeCredentials?: object[];

  @ApiProperty({ type: 'object', additionalProperties: true, example: { residentKey: 'required', requireResidentKey: true, userVerification: 'preferred' }, description: 'A discoverable credential (a passkey), user verification preferred.' })
  authenticatorSelection?: object;

  @ApiProperty({ example: 'none' })
  attestation?: string;
}

/** `PublicKeyCredentialRequestOptionsJSON` (WebAuthn §5.5) and the id of its challenge. */
export class AuthenticationOptionsDto {
  @ApiProperty({ example: 'Vq2x0bH3nQ1tYk7uJ9cLwA', description: 'Send it back with the answer (the passkey grant’s `challengeId`): single-use, valid for 5 minutes.' })
  challengeId: string;

  @ApiProperty({ example: 'q1w2e3r4t5y6u7i8o9p0a1s2d3f4g5h6j7k8l9z0x1c', description: 'base64url.' })
  challenge: string;

  @ApiProperty({ example: 300000, description: 'Milliseconds.' })
  timeout?: number;

  @ApiProperty({ example: 'auth.example.com' })
  rpId?: string;

  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true }, example: [], description: 'Empty: any passkey of this site (a discoverable credential names its account).' })
  allowCredentials?: object[];

  @ApiProperty({ example: 'preferred' })
  userVerification?: string;
}
