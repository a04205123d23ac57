import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { FastifyRequest } from 'fastify';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { requestContextOf } from '../http/request-context.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';
import { SingleUseService } from '../single-use/single-use.service.js';
import { DPOP_SIGNING_ALGORITHMS } from './dpop-algorithms.js';
import { DpopNoncesService } from './dpop-nonces.service.js';
import { DpopProofError } from './dpop-proof.error.js';

/** A proof is accepted this long after its `iat` (RFC 9449 §11.1: "a relatively brief period"). */
export const PROOF_MAX_AGE_SECONDS = 60;
/** …and this far ahead of our clock (a client's clock may run a little fast). */
const PROOF_FUTURE_TOLERANCE_SECONDS = 5;
/** Far above a proof with an RSA 4096 key (about 1.5 kB): a larger one is refused unread. */
const MAX_PROOF_LENGTH = 8192;
const MAX_JTI_LENGTH = 256;

/** What a proof must match: the request it came with (§4.3 checks 8 and 9), and the access token it presents, on a protected route (§4.3 check 12, §7.1). */
export interface DpopProofCheck {
  /** The request's method (`htm`). */
  method: string;
  /** The request's URL as clients see it (under PUBLIC_URL), without query or fragment (`htu`). */
  url: string;
  /** The access token sent with it: the proof's `ath` must be its hash. */
  accessToken?: string;
}

/** What a proof is checked against: the request it came with. */
export type DpopRequest = Pick<FastifyRequest, 'headers' | 'method' | 'url' | 'ip' | 'id'>;

/** A proof that passed: the JWK SHA-256 thumbprint (RFC 7638) of its key, which a bound token carries as `cnf.jkt` (§6.1). */
export interface VerifiedDpopProof {
  jkt: string;
}

/** `htu` and the request's URL compared as RFC 9449 §4.3 check 9 says: without query and fragment, after syntax-based normalisation (RFC 3986 §6.2.2, what WHATWG URL parsing does). */
function sameTarget(htu: string, expected: string): boolean {
  try {
    const normal = (text: string) => {
      const url = new URL(text);
      return `${url.protocol}//${url.host}${url.pathname}`;
    };
    return normal(htu) === normal(expected);
  } catch {
    return false;
  }
}

/** BASE64URL(SHA-256(token)): a proof's `ath` (§4.2). */
export function accessTokenHash(token: string): string {
  return createHash('sha256').update(token, 'ascii').digest('base64url');
}

/**
 * DPoP proofs (RFC 9449 §4.3): one `DPoP` header, a JWT with `typ`
 * dpop+jwt, an asymmetric algorithm of the allow-list, a public `jwk` in its
 * header that verifies it, `htm` and `htu` of this request, `iat` within a
 * short window, `ath` of the access token when one is presented, the
 * server's nonce when DPOP_NONCE asks for one, and a `jti` never seen before
 * on any instance (Redis or the database, SingleUseService).
 */
@Injectable()
export class DpopProofsService {
  constructor(
    private readonly singleUse: SingleUseService,
    private readonly nonces: DpopNoncesService,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  /** PUBLIC_URL, read on each use: with PORT=0 it names the port only once the service listens (settlePort). */
  private get base(): string {
    return this.config.publicUrl;
  }

  /**
   * The proof a request carries, checked against that request (and the
   * access token it presents, on a protected route); null without one. A
   * refusal is audited (`dpop.proof-refused`), except a missing nonce, which
   * is the protocol's normal first round (§8).
   */
  async verifyRequest(request: DpopRequest, accessToken?: string): Promise<VerifiedDpopProof | null> {
    try {
      const proof = this.proofOf(request.headers);
      if (proof === undefined) return null;
      return await this.verify(proof, { method: request.method, url: this.urlOf(request.url), accessToken });
    } catch (error) {
      if (error instanceof DpopProofError && error.code === 'invalid_dpop_proof') {
        raiseSecurityEvent(this.events, { type: 'dpop.proof-refused', outcome: 'failure', request: requestContextOf(request), details: { route: this.urlOf(request.url).slice(this.base.length), reason: error.message } });
      }
      throw error;
    }
  }

  /** The URL clients use for this path (PUBLIC_URL, the path without the query): what `htu` names. */
  urlOf(requestUrl: string): string {
    const path = requestUrl.split(/[?#]/, 1)[0];
    return `${this.base}${path}`;
  }

  /** The request's DPoP proof; undefined without the header. §4.3 check 1: exactly one (a repeated header reaches us joined by commas, which no JWT holds). */
  proofOf(headers: Record<string, string | string[] | undefined>): string | undefined {
    const header = headers.dpop;
    if (header === undefined) return undefined;
    if (typeof header !== 'string' || header.includes(',') || header.length > MAX_PROOF_LENGTH) throw new DpopProofError('invalid_dpop_proof', 'Send exactly one DPoP proof, a compact JWT.');
    return header.trim();
  }

  async verify(proof: string, check: DpopProofCheck): Promise<VerifiedDpopProof> {
    let payload: Record<string, unknown>;
    let jwk: JWK;
    try {
      // EmbeddedJWK refuses a `jwk` that is not a public key (§4.3 check 7); `typ` and the algorithm are pinned (checks 4, 5, 6).
      const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_SIGNING_ALGORITHMS });
      payload = verified.payload as Record<string, unknown>;
      jwk = verified.protectedHeader.jwk!;
    } catch {
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof is not a JWT of typ dpop+jwt signed with its public jwk by one of these algorithms: ' + DPOP_SIGNING_ALGORITHMS.join(', ') + '.');
    }
    const { jti, htm, htu, iat, ath, nonce } = payload;
    if (typeof jti !== 'string' || jti === '' || jti.length > MAX_JTI_LENGTH || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') {
      throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof needs jti, htm, htu and iat.');
    }
    if (htm !== check.method) throw new DpopProofError('invalid_dpop_proof', `The DPoP proof's htm is not this request's method (${check.method}).`);
    if (!sameTarget(htu, check.url)) throw new DpopProofError('invalid_dpop_proof', `The DPoP proof's htu is not this request's URL (${check.url}).`);
    const now = Date.now() / 1000;
    if (iat > now + PROOF_FUTURE_TOLERANCE_SECONDS || iat < now - PROOF_MAX_AGE_SECONDS) throw new DpopProofError('invalid_dpop_proof', `The DPoP proof's iat is not within ${PROOF_MAX_AGE_SECONDS} seconds of now.`);
    if (check.accessToken !== undefined) {
      const expected = Buffer.from(accessTokenHash(check.accessToken));
      const given = Buffer.from(typeof ath === 'string' ? ath : '');
      if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof\'s ath is not the hash of the access token.');
    }
    // §8, §9: checked after the signature, before the jti is spent, so the retry with the nonce can be a new proof.
    if (this.nonces.required && !this.nonces.isValid(nonce)) throw new DpopProofError('use_dpop_nonce', 'Use the nonce in the DPoP-Nonce header in the DPoP proof.');
    const jkt = await calculateJwkThumbprint(jwk, 'sha256');
    const expiresAt = new Date((iat + PROOF_MAX_AGE_SECONDS + PROOF_FUTURE_TOLERANCE_SECONDS) * 1000);
    if (!(await this.singleUse.firstUse(`dpop:${jkt}`, jti, expiresAt))) throw new DpopProofError('invalid_dpop_proof', 'The DPoP proof was already used (its jti).');
    return { jkt };
  }

  /** `DPoP-Nonce` for a response, when nonces are required (§8: the server may send a fresh one on any response). */
  nonceHeader(): Record<string, string> {
    return this.nonces.required ? { 'DPoP-Nonce': this.nonces.current() } : {};
  }
}
