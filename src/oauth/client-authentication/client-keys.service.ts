import { Injectable, Logger } from '@nestjs/common';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import { OutboundHttpService } from '../../outbound-http/outbound-http.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';

/** How long keys fetched from a jwks_uri are used before they are fetched again. */
const JWKS_CACHE_SECONDS = 300;
/** An unknown kid fetches the set again at most this often per client (a stream of made-up kids must not hammer the client's server). */
const JWKS_REFETCH_SECONDS = 30;

interface CachedKeySet {
  uri: string;
  keys: JWTVerifyGetKey;
  fetchedAt: number;
}

/**
 * A private_key_jwt client's public keys: its registered `jwks`, or the set
 * at its `jwks_uri`, fetched through OutboundHttpService (the SSRF rules: no
 * redirects, a timeout, a size cap, no private addresses in production),
 * cached, and fetched again when an assertion names a kid not in it (at most
 * every 30 s).
 */
@Injectable()
export class ClientKeysService {
  private readonly logger = new Logger(ClientKeysService.name);
  private readonly cache = new Map<string, CachedKeySet>();

  constructor(private readonly outbound: OutboundHttpService) {}

  /** A jose key resolver for the client's assertions; rejects when the keys cannot be had. */
  resolverFor(client: OAuthClient): JWTVerifyGetKey {
    if (client.jwks) return createLocalJWKSet(client.jwks as JSONWebKeySet);
    const uri = client.jwksUri;
    if (!uri) return () => Promise.reject(new Error('the client has no keys'));
    return async (header, token) => {
      let cached = await this.cached(client.clientId, uri, false);
      try {
        return await cached.keys(header, token);
      } catch (error) {
        if (!(error instanceof errors.JWKSNoMatchingKey) || Date.now() - cached.fetchedAt < JWKS_REFETCH_SECONDS * 1000) throw error;
        cached = await this.cached(client.clientId, uri, true);
        return cached.keys(header, token);
      }
    };
  }

  private async cached(clientId: string, uri: string, refresh: boolean): Promise<CachedKeySet> {
    const cached = this.cache.get(clientId);
    if (!refresh && cached && cached.uri === uri && Date.now() - cached.fetchedAt < JWKS_CACHE_SECONDS * 1000) return cached;
    let document: unknown;
    try {
      document = await this.outbound.getJson(uri);
    } catch (error) {
      // The URI's query could carry something: only the kind of failure is logged.
      this.logger.warn(`jwks_uri of client ${clientId} could not be fetched: ${(error as { kind?: string }).kind ?? 'failed'}`);
      throw error;
    }
    const fresh = { uri, keys: createLocalJWKSet(document as JSONWebKeySet), fetchedAt: Date.now() };
    this.cache.set(clientId, fresh);
    return fresh;
  }
}
