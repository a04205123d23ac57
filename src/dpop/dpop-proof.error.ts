/** Why a DPoP proof was refused: invalid (RFC 9449 §4.3, §7.1), or lacking the server's current nonce (§8, §9). */
export type DpopProofErrorCode = 'invalid_dpop_proof' | 'use_dpop_nonce';

/** A refused proof; the token endpoint answers it as a 400 (§5), a protected route as a 401 with a `DPoP` challenge (§7.1). */
export class DpopProofError extends Error {
  constructor(
    readonly code: DpopProofErrorCode,
    message: string,
  ) {
    super(message);
  }
}
