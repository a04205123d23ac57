import { DPOP_SIGNING_ALGORITHMS } from '../dpop/dpop-algorithms.js';
import { REALM } from '../http/authentication-challenges.js';

/** RFC 9449 §7.1: the `DPoP` challenge of a 401, naming the algorithms a proof may use; with `error` when a DPoP request failed. */
export function dpopChallenge(error?: 'invalid_token' | 'invalid_dpop_proof' | 'use_dpop_nonce'): string {
  return `DPoP realm="${REALM}"${error ? `, error="${error}"` : ''}, algs="${DPOP_SIGNING_ALGORITHMS.join(' ')}"`;
}

export const DPOP_CHALLENGE = dpopChallenge();
