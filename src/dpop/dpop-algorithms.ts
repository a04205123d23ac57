/**
 * The algorithms a DPoP proof may be signed with (RFC 9449 §4.3 check 5:
 * asymmetric, never `none` or a MAC), advertised as
 * `dpop_signing_alg_values_supported` (§5.1) and in the `algs` of a `DPoP`
 * challenge (§7.1).
 */
export const DPOP_SIGNING_ALGORITHMS = ['ES256', 'RS256', 'PS256', 'EdDSA'];
