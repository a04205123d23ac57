import { Injectable, UnauthorizedException } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Settings } from './settings.js';

/** What Gatehouse publishes for verifiers (RFC 8414). */
interface Metadata {
  issuer: string;
  jwks_uri: string;
  introspection_endpoint: string;
}

/**
 * A Gatehouse access token's claims. A person's token carries `username` and
 * `role`; one issued to a client also `client_id` and `scope` (RFC 9068); a
 * `client_credentials` token names no person: its `sub` is the client_id.
 */
export interface GatehouseClaims extends JWTPayload {
  sub: string;
  username?: string;
  role?: string;
  client_id?: string;
  scope?: string;
  /** RFC 9449 §6.1: a DPoP-bound token's key (its JWK SHA-256 thumbprint); it comes with a proof of that key. */
  cnf?: { jkt?: string };
}

/** The algorithms Gatehouse signs with (its JWT_ALGORITHM, asymmetric): each key of the set also names its own `alg`, which jose holds a token to. */
const ALGORITHMS = ['RS256', 'ES256', 'EdDSA'];

/** `JWT` for Gatehouse's first-party tokens, `at+jwt` for tokens issued to clients (RFC 9068 §2.1, §4: a resource server checks it). */
const TOKEN_TYPES = new Set(['jwt', 'at+jwt', 'application/at+jwt']);

/**
 * application/x-www-form-urlencoded, as RFC 6749 §2.3.1 asks of the client_id
 * and secret before they go into Basic (WHATWG's serializer: a space is `+`,
 * a colon `%3A`, so one in either cannot be mistaken for the separator).
 */
const formUrlEncoded = (value: string) => new URLSearchParams([['', value]]).toString().slice(1);

/** Discovery failed in a way the person starting this API fixes (Gatehouse down, a wrong GATEHOUSE_URL): one line, no stack. */
export class DiscoveryError extends Error {}

/** fetch's "fetch failed" hides the reason in its cause: ECONNREFUSED, ENOTFOUND… */
function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

/**
 * Trusts Gatehouse without sharing a secret: tokens are verified with its
 * public keys (jose's remote key set caches them and fetches again on an
 * unknown kid, so a rotation needs no restart), checking issuer, audience,
 * expiry, type and the algorithm. Introspection answers when a revocation or
 * a password change must count before the token expires; this API asks it as
 * the confidential client it registered as.
 */
@Injectable()
export class GatehouseService {
  private constructor(
    private readonly settings: Settings,
    private readonly metadata: Metadata,
    private readonly keys: ReturnType<typeof createRemoteJWKSet>,
  ) {}

  /**
   * Gatehouse's metadata. Started beside Gatehouse (one compose file, one
   * boot), this API may ask before Gatehouse listens: a connection that fails
   * is tried again, with one line each time, up to `settings.discovery`;
   * then, or at once for an answer that is not the metadata, a
   * DiscoveryError, which main.ts prints as its one line.
   */
  static async discover(settings: Settings): Promise<GatehouseService> {
    const url = `${settings.gatehouseUrl}/.well-known/openid-configuration`;
    const { attempts, retryDelayMs } = settings.discovery;
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await fetch(url);
      } catch (error) {
        const reason = reasonOf(error);
        if (attempt >= attempts) throw new DiscoveryError(`Gatehouse at ${settings.gatehouseUrl} did not answer: ${attempts} attempts failed (${reason}); start it, or correct GATEHOUSE_URL`);
        console.error(`Gatehouse at ${settings.gatehouseUrl} does not answer yet (${reason}); trying again in ${retryDelayMs / 1000} s (attempt ${attempt} of ${attempts})`);
        await sleep(retryDelayMs);
        continue;
      }
      if (!response.ok) throw new DiscoveryError(`Gatehouse's metadata at ${url} answered ${response.status}: correct GATEHOUSE_URL`);
      return GatehouseService.trusting(settings, (await response.json()) as Metadata);
    }
  }

  private static trusting(settings: Settings, metadata: Metadata): GatehouseService {
    const keys = createRemoteJWKSet(new URL(metadata.jwks_uri), { cooldownDuration: settings.jwksCooldownMs });
    return new GatehouseService(settings, metadata, keys);
  }

  /** The URL a request was sent to, as the client named it in its DPoP proof's htu: PUBLIC_URL (behind a proxy), else the Host it was sent to. */
  urlOf(request: { headers: Record<string, string | string[] | undefined>; url: string }): string {
    const path = request.url.split('?', 1)[0];
    return `${this.settings.publicUrl ?? `http://${String(request.headers.host)}`}${path}`;
  }

  /** The claims of a valid token; 401 otherwise (tampered, expired, another issuer, audience or type, an unknown key). */
  async verify(token: string): Promise<GatehouseClaims> {
    try {
      const { payload, protectedHeader } = await jwtVerify<GatehouseClaims>(token, this.keys, {
        issuer: this.metadata.issuer,
        audience: this.settings.audience,
        algorithms: ALGORITHMS,
        clockTolerance: this.settings.clockToleranceSeconds,
      });
      if (!TOKEN_TYPES.has(String(protectedHeader.typ).toLowerCase())) throw new Error('not an access token');
      return payload;
    } catch {
      throw new UnauthorizedException('The access token is invalid or expired.');
    }
  }

  /** Gatehouse's current word on the token (RFC 7662), asked with this API's client credentials (client_secret_basic). */
  async introspect(token: string): Promise<{ active: boolean; role?: string }> {
    const credentials = this.settings.introspection;
    if (!credentials) throw new Error('INTROSPECTION_CLIENT_ID and INTROSPECTION_CLIENT_SECRET are needed for introspection');
    const basic = Buffer.from(`${formUrlEncoded(credentials.clientId)}:${formUrlEncoded(credentials.clientSecret)}`).toString('base64');
    const response = await fetch(this.metadata.introspection_endpoint, {
      method: 'POST',
      headers: { Authorization: `Basic ${basic}`, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token, token_type_hint: 'access_token' }),
    });
    if (!response.ok) throw new Error(`introspection: ${response.status}`);
    return (await response.json()) as { active: boolean; role?: string };
  }
}
