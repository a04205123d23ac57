import { DpopProofError } from '../dpop/dpop-proof.error.js';
import type { DpopProofsService, DpopRequest, VerifiedDpopProof } from '../dpop/dpop-proofs.service.js';
import { withResponseHeaders } from '../http/http-errors.filter.js';
import { oauthError } from './oauth-error.exception.js';

/**
 * The DPoP proof sent to the token or PAR endpoint (RFC 9449 §5, §10.1),
 * checked against that request; null without one. A refused proof is a 400
 * `invalid_dpop_proof`, a missing nonce a 400 `use_dpop_nonce`; both carry a
 * fresh `DPoP-Nonce` when DPOP_NONCE is on (§8).
 */
export async function dpopProofOfRequest(proofs: DpopProofsService, http: DpopRequest): Promise<VerifiedDpopProof | null> {
  try {
    return await proofs.verifyRequest(http);
  } catch (error) {
    if (error instanceof DpopProofError) throw withResponseHeaders(oauthError(error.code, error.message), proofs.nonceHeader());
    throw error;
  }
}
