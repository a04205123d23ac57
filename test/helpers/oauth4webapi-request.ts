import * as oauth from 'oauth4webapi';

/** An authorization request as oauth4webapi's users build one: PKCE S256 and a state, both fresh; the verifier and state kept for the callback. */
export async function authorizationRequest(as: oauth.AuthorizationServer, clientId: string, redirectUri: string, scope: string): Promise<{ authorizationUrl: URL; codeVerifier: string; state: string }> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const authorizationUrl = new URL(as.authorization_endpoint!);
  authorizationUrl.search = new URLSearchParams({
    client_id: clientId,
    redirect_uri: redirectUri,
    response_type: 'code',
    scope,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
  }).toString();
  return { authorizationUrl, codeVerifier, state };
}
