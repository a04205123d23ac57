import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, LessThan, MoreThan, Not, Repository } from 'typeorm';
import { hashOpaqueToken, mintOpaqueToken } from '../../tokens/opaque-token.js';
import { PushedAuthorizationRequest } from './entities/pushed-authorization-request.entity.js';

/** RFC 9126 §2.2: the request_uri's form ("urn:ietf:params:oauth:request_uri:" and a reference). */
export const REQUEST_URI_PREFIX = 'urn:ietf:params:oauth:request_uri:';
/** RFC 9126 §2.2: a short lifetime (its examples use 60 s): the client redirects right away. */
export const PUSHED_REQUEST_TTL_SECONDS = 60;
/**
 * Once an authorization request has started with it, how long the person has
 * to log in (and consent) before the pushed request lapses: the login page
 * must not fail because typing a password took longer than the 60 s above.
 */
export const STARTED_REQUEST_TTL_SECONDS = 600;

/** A pushed request found for the authorization endpoint: the parameters to check, and the reference its steps carry. */
export interface PushedRequest {
  referenceHash: string;
  parameters: Record<string, string>;
}

/**
 * The store of pushed authorization requests. Single use, across instances,
 * and surviving the hosted login — the design:
 *
 * - `push` stores the parameters under the hash of a 256-bit reference; the
 *   `request_uri` lives 60 s.
 * - `start` (GET/POST /authorize with the request_uri) claims it with one
 *   conditional UPDATE (`started_at` was null): a second authorization
 *   request with the same request_uri finds it claimed and is refused
 *   (RFC 9126 §4: "one-time use"). The claim gives the person 10 minutes.
 * - The login, second-factor and consent pages carry only `client_id` and
 *   `request_uri` in their hidden fields, and `resolve` reads the claimed
 *   request again without spending it (the pages may be shown more than once:
 *   a wrong password).
 * - `spend` marks it used when the flow ends in a code or a refusal (one
 *   conditional UPDATE on `used_at`): after that, no step resolves it.
 */
@Injectable()
export class PushedAuthorizationRequestsService {
  constructor(@InjectRepository(PushedAuthorizationRequest) private readonly requests: Repository<PushedAuthorizationRequest>) {}

  /** Stores the (checked) parameters; the request_uri to hand back. Rows long expired are purged on the way. */
  async push(clientId: string, parameters: Record<string, string>): Promise<string> {
    await this.requests.delete({ expiresAt: LessThan(new Date(Date.now() - 3600_000)) });
    const reference = mintOpaqueToken();
    await this.requests.insert({
      referenceHash: hashOpaqueToken(reference),
      clientId,
      parameters: JSON.stringify(parameters),
      expiresAt: new Date(Date.now() + PUSHED_REQUEST_TTL_SECONDS * 1000),
      startedAt: null,
      usedAt: null,
    });
    return REQUEST_URI_PREFIX + reference;
  }

  /** The first authorization request with this request_uri: claims it; null when unknown, another client's, expired or already claimed. */
  async start(clientId: string, requestUri: string): Promise<PushedRequest | null> {
    const referenceHash = this.hashOf(requestUri);
    if (!referenceHash) return null;
    const now = new Date();
    const claimed = await this.requests.update(
      { referenceHash, clientId, startedAt: IsNull(), expiresAt: MoreThan(now) },
      { startedAt: now, expiresAt: new Date(now.getTime() + STARTED_REQUEST_TTL_SECONDS * 1000) },
    );
    return claimed.affected === 1 ? this.resolve(clientId, requestUri) : null;
  }

  /** A claimed, unspent, live request, for the steps after the first (login, second factor, consent); null otherwise. */
  async resolve(clientId: string, requestUri: string): Promise<PushedRequest | null> {
    const referenceHash = this.hashOf(requestUri);
    if (!referenceHash) return null;
    const row = await this.requests.findOneBy({ referenceHash, clientId, startedAt: Not(IsNull()), usedAt: IsNull(), expiresAt: MoreThan(new Date()) });
    return row && { referenceHash, parameters: JSON.parse(row.parameters) as Record<string, string> };
  }

  /** Marks it used; false when it already was (two consent forms posted at once) or has expired. */
  async spend(referenceHash: string): Promise<boolean> {
    const now = new Date();
    const spent = await this.requests.update({ referenceHash, startedAt: Not(IsNull()), usedAt: IsNull(), expiresAt: MoreThan(now) }, { usedAt: now });
    return spent.affected === 1;
  }

  private hashOf(requestUri: string): string | null {
    if (!requestUri.startsWith(REQUEST_URI_PREFIX)) return null;
    const reference = requestUri.slice(REQUEST_URI_PREFIX.length);
    return /^[A-Za-z0-9_-]{43}$/.test(reference) ? hashOpaqueToken(reference) : null;
  }
}
