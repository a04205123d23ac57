/** The WWW-Authenticate challenges of API.md (RFC 6750 for Bearer, RFC 7617 for Basic). */
export const REALM = 'gatehouse';
export const BEARER_CHALLENGE = `Bearer realm="${REALM}"`;
export const INVALID_TOKEN_CHALLENGE = `Bearer realm="${REALM}", error="invalid_token"`;
export const BASIC_CHALLENGE = `Basic realm="${REALM}", charset="UTF-8"`;
