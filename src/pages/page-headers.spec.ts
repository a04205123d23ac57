import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy, cspSource, pageHeaders } from './page-headers.js';

describe('the policy of a page', () => {
  it('allows nothing but its stylesheet and its own forms, never framing, a <base> or a script', () => {
    expect(contentSecurityPolicy()).toBe("default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
    expect(pageHeaders()).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'x-frame-options': 'DENY' });
  });

  it('lets forms lead to the given redirect URIs (their origins, or a native app’s scheme) and images come from the given origins', () => {
    const policy = contentSecurityPolicy({
      formActions: ['https://app.example.com/cb?state=x', 'https://app.example.com/other', 'http://127.0.0.1:8123/cb', 'com.example.app:/oauth2redirect', 'http://[::1]:9000/cb'],
      imageSources: ['https://cdn.example.com/logo.png', '/branding/logo.svg'],
    });
    expect(policy).toContain("img-src https://cdn.example.com 'self';");
    expect(policy).toContain("form-action 'self' https://app.example.com http://127.0.0.1:8123 com.example.app: http:;");
  });

  it('refuses a URL that would add a directive or a policy', () => {
    for (const uri of ['https://evil.example;script-src', 'https://a.example,b.example', 'https://a.example script-src *', 'not a url']) {
      expect(() => cspSource(uri), uri).toThrow();
    }
    // Only the scheme of another scheme, only the origin of http(s), is written.
    expect(cspSource("com.x:;script-src 'none'")).toBe('com.x:');
    expect(cspSource('https://evil.example/;script-src%20*')).toBe('https://evil.example');
    expect(cspSource('https://bücher.example/cb')).toBe('https://xn--bcher-kva.example');
    expect(cspSource('HTTPS://App.Example.COM:443/x')).toBe('https://app.example.com');
    // A protocol-relative URL is another host, not a path on this one.
    expect(() => cspSource('//evil.example/x')).toThrow();
  });
});
