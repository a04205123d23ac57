import type { FastifyRequest as Request } from 'fastify';
import { DpopProofError } from '../../dpop/dpop-proof.error.js';
import type { DpopProofsService } from '../../dpop/dpop-proofs.service.js';
import { AuthenticationFailedException } from '../../http/authentication-failed.exception.js';
import { withResponseHeaders } from '../../http/http-errors.filter.js';
import type { AccessTokenClaims } from '../../tokens/access-tokens.service.js';
import { BASIC_CHALLENGE, BEARER_CHALLENGE } from '../../http/authentication-challenges.js';
import { dpopChallenge } from '../dpop-challenges.js';

function refused(error: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce', message: string): AuthenticationFailedException {
  return new AuthenticationFailedException(message, [dpopChallenge(error), BEARER_CHALLENGE, BASIC_CHALLENGE], { statusCode: 401, error, message });
}

/**
 * RFC 9449 §7: a DPoP-bound token (`cnf.jkt`) is accepted only with the
 * `DPoP` scheme and a proof for this request (`htm`, `htu`), this token
 * (`ath`) and its key (the proof's thumbprint is `cnf.jkt`); as a plain
 * Bearer it is refused (§7.2: else a stolen token would be a bearer token
 * again). The `DPoP` scheme with a token that is not bound is refused too.
 * A Bearer token without `cnf` never comes here: that path stays as fast
 * as it was.
 */
export async function checkSenderConstraint(proofs: DpopProofsService, request: Request, claims: AccessTokenClaims): Promise<void> {
  const presented = request.presentedCredentials;
  const bound = claims.cnf?.jkt;
  if (presented?.scheme !== 'dpop') {
    if (bound) throw refused('invalid_token', 'This access token is DPoP-bound: send it as Authorization: DPoP with a DPoP proof (RFC 9449 §7.1).');
    return;
  }
  if (!bound) throw refused('invalid_token', 'This access token is not DPoP-bound: send it as Authorization: Bearer.');
  let jkt: string | undefined;
  try {
    jkt = (await proofs.verifyRequest(request, presented.token!))?.jkt;
  } catch (error) {
    if (!(error instanceof DpopProofError)) throw error;
    throw withResponseHeaders(refused(error.code, error.message), proofs.nonceHeader());
  }
  if (jkt === undefined) throw withResponseHeaders(refused('invalid_dpop_proof', 'Send a DPoP proof (the DPoP header) with a DPoP-bound token.'), proofs.nonceHeader());
  if (jkt !== bound) throw refused('invalid_dpop_proof', 'The DPoP proof is signed by another key than the one the token is bound to (cnf.jkt).');
}
