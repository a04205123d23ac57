import { GATEHOUSE_API_SCOPE, scopesOf } from '../../access/principal.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';
import { oauthError } from '../oauth-error.exception.js';

/** The OpenID Connect scopes any client may ask for on behalf of a person (OIDC Core §5.4, §11). */
export const PERSON_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

/** What each scope means, in words, for the consent page. */
export const SCOPE_DESCRIPTIONS: Record<string, string> = {
  openid: 'Know who you are (your account ID)',
  profile: 'See your username',
  email: 'See your e-mail address and whether it is verified',
  offline_access: 'Stay signed in when you are not using it',
  [GATEHOUSE_API_SCOPE]: 'Manage your Gatehouse account as you (sessions, password, two-factor)',
};

/**
 * The scope a client gets (RFC 6749 §3.3): what it asked for, each scope
 * among those it may ask for (the OIDC scopes when a person is involved, and
 * its own registered ones), else `invalid_scope`; nothing asked: its own
 * registered scopes (the "pre-defined default value" of §3.3).
 */
export function grantedScopes(client: OAuthClient, requested: string | undefined, forPerson: boolean): string[] {
  // Without a person, the OpenID Connect scopes mean nothing (a client registered without a scope has them by default).
  const own = scopesOf(client.scope).filter((scope) => forPerson || !(PERSON_SCOPES as readonly string[]).includes(scope));
  if (requested === undefined || requested.trim() === '') return own;
  const allowed = new Set<string>(forPerson ? [...PERSON_SCOPES, ...own] : own);
  const asked = [...new Set(scopesOf(requested))];
  const refused = asked.filter((scope) => !allowed.has(scope));
  if (refused.length) throw oauthError('invalid_scope', `The client may not ask for: ${refused.join(', ')}.`);
  return asked;
}

/**
 * The audience of the client's tokens (RFC 8707 §2): a `resource` among those
 * registered for the client, else `invalid_target`; none asked: the default
 * audience (null).
 */
export function grantedResource(client: OAuthClient, resource: string | undefined): string | null {
  if (resource === undefined) return null;
  if (!(client.resources ?? []).includes(resource)) throw oauthError('invalid_target', 'The resource is not one this client may ask tokens for.');
  return resource;
}
