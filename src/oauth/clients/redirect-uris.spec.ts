import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redirectUriMatches, redirectUriProblem, resourceUriProblem, type RedirectingClient } from './redirect-uris.js';

const web = (...redirectUris: string[]): RedirectingClient => ({ redirectUris, applicationType: 'web', tokenEndpointAuthMethod: 'client_secret_basic' });
const nativePublic = (...redirectUris: string[]): RedirectingClient => ({ redirectUris, applicationType: 'native', tokenEndpointAuthMethod: 'none' });

describe('redirectUriProblem', () => {
  it.each([
    ['https://app.example.com/callback', 'web'],
    ['https://app.example.com/callback?from=gatehouse', 'web'],
    ['https://app.example.com:8443/cb', 'web'],
    ['http://127.0.0.1:3000/callback', 'web'],
    ['http://[::1]:3000/callback', 'web'],
    ['http://localhost:3000/callback', 'web'],
    ['http://127.0.0.1/callback', 'native'],
    ['com.example.app:/oauth2redirect', 'native'],
    ['com.example.app://callback', 'native'],
    ['https://app.example.com/callback', 'native'],
  ] as const)('accepts %s for a %s client', (uri, applicationType) => {
    expect(redirectUriProblem(uri, applicationType)).toBeNull();
  });

  it.each([
    ['/callback', 'web', /absolute/],
    ['app.example.com/callback', 'web', /absolute/],
    ['https://app.example.com/callback#done', 'web', /fragment/],
    ['https://app.example.com/callback#', 'web', /fragment/],
    ['https://*.example.com/callback', 'web', /wildcard/],
    ['https://app.example.com/*', 'web', /wildcard/],
    ['http://app.example.com/callback', 'web', /https; http only on a loopback host/],
    ['http://localhost.evil.example/callback', 'web', /loopback/],
    ['http://127.0.0.1.evil.example/callback', 'web', /loopback/],
    ['http://10.0.0.1/callback', 'native', /loopback/],
    ['https://good.example@evil.example/cb', 'web', /user information/],
    ['http://user:pass@127.0.0.1/cb', 'web', /user information/],
    ['https:app.example.com/callback', 'web', /https:\/\/host/],
    ['https:\\\\evil.example/cb', 'web', /backslash/],
    ['https://app.example.com/call back', 'web', /spaces/],
    ['https://app.example.com/callback\n', 'web', /control/],
    ['com.example.app:/callback', 'web', /only for application_type native/],
    ['myapp:/callback', 'native', /reverse domain name/],
    ['javascript:alert(1)', 'native', /reverse domain name/],
    ['javascript:alert(1)', 'web', /https/],
    ['data:text/html,hi', 'native', /reverse domain name/],
    ['file:///etc/passwd', 'native', /reverse domain name/],
    ['', 'web', /non-empty string/],
    [`https://app.example.com/${'a'.repeat(2000)}`, 'web', /at most 2000 characters/],
  ] as const)('refuses %j for a %s client', (uri, applicationType, problem) => {
    expect(redirectUriProblem(uri, applicationType)).toMatch(problem);
  });

  it('refuses what is not a string', () => {
    for (const value of [null, 42, ['https://app.example.com/cb'], {}]) expect(redirectUriProblem(value, 'web')).toMatch(/string/);
  });
});

describe('resourceUriProblem', () => {
  it('takes absolute URIs without a fragment (RFC 8707 §2)', () => {
    expect(resourceUriProblem('https://api.example.com')).toBeNull();
    expect(resourceUriProblem('urn:example:api')).toBeNull();
    expect(resourceUriProblem('https://api.example.com#x')).toMatch(/fragment/);
    expect(resourceUriProblem('api.example.com')).toMatch(/absolute/);
  });
});

describe('redirectUriMatches', () => {
  const registered = 'https://app.example.com/callback';

  it('matches the registered string exactly', () => {
    expect(redirectUriMatches(web(registered), registered)).toBe(true);
    expect(redirectUriMatches(web('https://other.example/cb', registered), registered)).toBe(true);
  });

  it.each([
    ['a prefix', 'https://app.example.com/call'],
    ['a longer path', 'https://app.example.com/callback/evil'],
    ['a path beside it', 'https://app.example.com/callback/../evil'],
    ['a trailing slash', 'https://app.example.com/callback/'],
    ['another case in the host', 'https://APP.example.com/callback'],
    ['another case in the path', 'https://app.example.com/Callback'],
    ['another case in the scheme', 'HTTPS://app.example.com/callback'],
    ['an extra query', 'https://app.example.com/callback?next=https://evil.example'],
    ['an empty query', 'https://app.example.com/callback?'],
    ['a fragment', 'https://app.example.com/callback#x'],
    ['user information before the host', 'https://app.example.com@evil.example/callback'],
    ['the host as user information', 'https://good.example@app.example.com/callback'],
    ['a default port spelt out', 'https://app.example.com:443/callback'],
    ['http instead of https', 'http://app.example.com/callback'],
    ['a percent-encoded path', 'https://app.example.com/%63allback'],
    ['a suffix host', 'https://app.example.com.evil.example/callback'],
    ['nothing', ''],
  ])('refuses %s', (_, presented) => {
    expect(redirectUriMatches(web(registered), presented)).toBe(false);
    // Nor does a native public client get any leniency outside loopback IP redirects.
    expect(redirectUriMatches(nativePublic(registered), presented)).toBe(false);
  });

  it('refuses what is not a string', () => {
    expect(redirectUriMatches(web(registered), [registered])).toBe(false);
    expect(redirectUriMatches(web(registered), undefined)).toBe(false);
  });

  describe('loopback redirects of native public clients (RFC 8252 §7.3)', () => {
    it.each([
      ['http://127.0.0.1:3000/callback', 'http://127.0.0.1:51234/callback'],
      ['http://127.0.0.1/callback', 'http://127.0.0.1:51234/callback'],
      ['http://127.0.0.1:3000/callback', 'http://127.0.0.1/callback'],
      ['http://[::1]:3000/callback', 'http://[::1]:61000/callback'],
      ['http://127.0.0.1:3000/callback?x=1', 'http://127.0.0.1:4000/callback?x=1'],
      ['http://127.0.0.1:3000', 'http://127.0.0.1:4000'],
    ])('%s matches %s on another port', (registeredUri, presented) => {
      expect(redirectUriMatches(nativePublic(registeredUri), presented)).toBe(true);
    });

    it.each([
      ['another path', 'http://127.0.0.1:4000/callback/x'],
      ['a trailing slash', 'http://127.0.0.1:4000/callback/'],
      ['an extra query', 'http://127.0.0.1:4000/callback?x=1'],
      ['a fragment', 'http://127.0.0.1:4000/callback#x'],
      ['another loopback address', 'http://[::1]:4000/callback'],
      ['another address in 127/8', 'http://127.0.0.2:4000/callback'],
      ['localhost', 'http://localhost:4000/callback'],
      ['https', 'https://127.0.0.1:4000/callback'],
      ['a port beyond 65535', 'http://127.0.0.1:65536/callback'],
      ['port 0', 'http://127.0.0.1:0/callback'],
      ['user information', 'http://127.0.0.1:4000@evil.example/callback'],
      ['an empty port', 'http://127.0.0.1:/callback'],
      ['a host ending elsewhere', 'http://127.0.0.1.evil.example:4000/callback'],
    ])('refuses %s', (_, presented) => {
      expect(redirectUriMatches(nativePublic('http://127.0.0.1:3000/callback'), presented)).toBe(false);
    });

    it('is for native public clients only, and never for localhost', () => {
      const presented = 'http://127.0.0.1:4000/callback';
      expect(redirectUriMatches(web('http://127.0.0.1:3000/callback'), presented)).toBe(false);
      expect(redirectUriMatches({ ...nativePublic('http://127.0.0.1:3000/callback'), tokenEndpointAuthMethod: 'client_secret_basic' }, presented)).toBe(false);
      expect(redirectUriMatches({ ...nativePublic('http://127.0.0.1:3000/callback'), applicationType: 'web' }, presented)).toBe(false);
      expect(redirectUriMatches(nativePublic('http://localhost:3000/callback'), 'http://localhost:4000/callback')).toBe(false);
      expect(redirectUriMatches(nativePublic('http://localhost:3000/callback'), 'http://localhost:3000/callback')).toBe(true);
    });

    it('matches exactly the registered path on a valid port, whatever else is presented', () => {
      const client = nativePublic('http://127.0.0.1:3000/callback');
      const port = fc.option(fc.integer({ min: 0, max: 99_999 }), { nil: undefined });
      const rest = fc.constantFrom('/callback', '/callback/', '/callbac', '/callback?x=1', '/callback#x', '', '/CALLBACK', '@evil.example/callback');
      const host = fc.constantFrom('127.0.0.1', '[::1]', 'localhost', '127.0.0.1.evil.example');
      fc.assert(
        fc.property(host, port, rest, (presentedHost, presentedPort, presentedRest) => {
          const presented = `http://${presentedHost}${presentedPort === undefined ? '' : `:${presentedPort}`}${presentedRest}`;
          const validPort = presentedPort === undefined || (presentedPort >= 1 && presentedPort <= 65_535);
          expect(redirectUriMatches(client, presented), presented).toBe(presentedHost === '127.0.0.1' && validPort && presentedRest === '/callback');
        }),
      );
      fc.assert(
        fc.property(fc.webUrl({ withQueryParameters: true, withFragments: true }), (presented) => {
          expect(redirectUriMatches(client, presented)).toBe(false);
        }),
      );
    });
  });
});
