import { createHash, timingSafeEqual } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, jwtVerify } from 'jose';

/** The algorithms a DPoP proof may use: Gatehouse's `dpop_signing_alg_values_supported` (asymmetric only). */
export const DPOP_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'];
/** A proof is accepted this long after its iat (RFC 9449 §11.1: a brief window). */
const MAX_AGE_SECONDS = 60;
const FUTURE_TOLERANCE_SECONDS = 5;

/** The request a proof must name (RFC 9449 §4.3): its method, its URL without query, the access token sent with it, and the key the token is bound to. */
export interface ProofCheck {
  proof: string | undefined;
  method: string;
  url: string;
  accessToken: string;
  jkt: string;
}

/**
 * A resource server's side of DPoP (RFC 9449 §7): the proof is a dpop+jwt
 * signed with the public key in its header, of an allowed algorithm, for this
 * method and URL, fresh, carrying `ath` (the token's hash), signed by the
 * key the token is bound to (`cnf.jkt`), and never seen before. The `jti`s
 * are remembered in memory: enough for one instance; several instances of an
 * API need a shared store (Redis `SET NX` with the proof's lifetime).
 */
export class DpopVerifier {
  private readonly seen = new Map<string, number>();

  /** Null when the proof is good; otherwise why not. */
  async problem({ proof, method, url, accessToken, jkt }: ProofCheck): Promise<string | null> {
    if (!proof || proof.includes(',')) return 'send exactly one DPoP proof';
    let payload: Record<string, unknown>;
    let thumbprint: string;
    try {
      const verified = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
      payload = verified.payload as Record<string, unknown>;
      thumbprint = await calculateJwkThumbprint(verified.protectedHeader.jwk!, 'sha256');
    } catch {
      return 'the DPoP proof is not a valid dpop+jwt';
    }
    const { jti, htm, htu, iat, ath } = payload;
    if (typeof jti !== 'string' || typeof htm !== 'string' || typeof htu !== 'string' || typeof iat !== 'number') return 'the DPoP proof needs jti, htm, htu and iat';
    if (htm !== method) return 'the DPoP proof is for another method';
    if (withoutQuery(htu) !== withoutQuery(url)) return 'the DPoP proof is for another URL';
    const now = Date.now() / 1000;
    if (iat > now + FUTURE_TOLERANCE_SECONDS || iat < now - MAX_AGE_SECONDS) return 'the DPoP proof is too old or from the future';
    const expected = Buffer.from(createHash('sha256').update(accessToken).digest('base64url'));
    const given = Buffer.from(typeof ath === 'string' ? ath : '');
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'the DPoP proof is not for this access token (ath)';
    if (thumbprint !== jkt) return 'the DPoP proof is signed by another key than the token is bound to';
    return this.firstUse(`${thumbprint}:${jti}`, iat + MAX_AGE_SECONDS + FUTURE_TOLERANCE_SECONDS, now) ? null : 'the DPoP proof was already used';
  }

  private firstUse(key: string, expiresAt: number, now: number): boolean {
    for (const [known, until] of this.seen) if (until < now) this.seen.delete(known);
    if (this.seen.has(key)) return false;
    this.seen.set(key, expiresAt);
    return true;
  }
}

function withoutQuery(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return '';
  }
}
