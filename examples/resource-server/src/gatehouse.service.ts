import { Injectable, UnauthorizedException } from '@nestjs/common';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Settings } from './settings.js';

/** What Gatehouse publishes for verifiers (RFC 8414). */
interface Metadata {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint: string;
  id_token_signing_alg_values_supported: string[];
}

export interface GatehouseClaims extends JWTPayload {
  sub: string;
  username: string;
  role: string;
}

/**
 * Trusts Gatehouse without sharing a secret: tokens are verified with its
 * public keys (jose's remote key set caches them and fetches again on an
 * unknown kid, so a rotation needs no restart), checking issuer, audience,
 * expiry and the algorithm. Introspection answers when a revocation or a
 * password change must count before the token expires.
 */
@Injectable()
export class GatehouseService {
  private constructor(
    private readonly settings: Settings,
    private readonly metadata: Metadata,
    private readonly keys: ReturnType<typeof createRemoteJWKSet>,
  ) {}

  static async discover(settings: Settings): Promise<GatehouseService> {
    const response = await fetch(`${settings.gatehouseUrl}/.well-known/openid-configuration`);
    if (!response.ok) throw new Error(`Gatehouse's metadata: ${response.status} from ${settings.gatehouseUrl}`);
    const metadata = (await response.json()) as Metadata;
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: settings.jwksCooldownMs });
    return new GatehouseService(settings, metadata, keys);
  }

  /** The claims of a valid token; 401 otherwise (tampered, expired, another issuer or audience, an unknown key). */
  async verify(token: string): Promise<GatehouseClaims> {
    try {
      const { payload } = await jwtVerify<GatehouseClaims>(token, this.keys, {
        issuer: this.metadata.issuer,
        audience: this.settings.audience,
        algorithms: this.metadata.id_token_signing_alg_values_supported,
        clockTolerance: this.settings.clockToleranceSeconds,
        typ: 'JWT',
      });
      return payload;
    } catch {
      throw new UnauthorizedException('The access token is invalid or expired.');
    }
  }

  /** Gatehouse's current word on the token (RFC 7662), as a service account. */
  async introspect(token: string): Promise<{ active: boolean; role?: string }> {
    const credentials = this.settings.introspection;
    if (!credentials) throw new Error('INTROSPECTION_USERNAME and INTROSPECTION_PASSWORD are needed for introspection');
    const response = await fetch(this.metadata.introspection_endpoint, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!response.ok) throw new Error(`introspection: ${response.status}`);
    return (await response.json()) as { active: boolean; role?: string };
  }
}
