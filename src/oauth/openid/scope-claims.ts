import type { User } from '../../users/entities/user.entity.js';

/** The claims about the person that the scopes granted release (OIDC Core §5.4), for the id token and userinfo alike. */
export interface ScopeClaims {
  preferred_username?: string;
  email?: string;
  email_verified?: boolean;
}

/**
 * OIDC Core §5.4: `profile` releases the profile claims Gatehouse knows
 * (the username, as `preferred_username`), `email` releases `email` and
 * `email_verified` when the account has an address. Claims the person has
 * no value for are left out, not sent as null (§5.3.2).
 */
export function scopeClaims(user: Pick<User, 'username' | 'email' | 'emailVerifiedAt'>, scopes: readonly string[]): ScopeClaims {
  const claims: ScopeClaims = {};
  if (scopes.includes('profile')) claims.preferred_username = user.username;
  if (scopes.includes('email') && user.email) {
    claims.email = user.email;
    claims.email_verified = user.emailVerifiedAt !== null;
  }
  return claims;
}
