import { formOf } from './hosted-login.js';

export interface PersonAtThePages {
  username: string;
  password: string;
  /** The second factor, when the page asks for it (a TOTP or a recovery code). */
  otp?: () => Promise<string> | string;
  /** The answer on the consent page; `allow` unless said. */
  decision?: 'allow' | 'deny';
}

/** What the person saw on the way, in order: `login`, `second-factor`, `consent`. */
export type PageSeen = 'login' | 'second-factor' | 'consent';

/**
 * A browser in miniature over fetch, for the authorization code flow at a
 * real port: it keeps cookies (a Map, one host), follows redirects itself
 * (`redirect: 'manual'`) so it can stop at the client's redirect URI (which
 * nothing need answer), and fills the hosted pages' forms as a person would:
 * every hidden field posted back, the fixed field names of OAUTH.md typed in.
 * The shape of panva/oauth4webapi's tap/end2end*.ts, which drive their
 * server's pages with a small HTTP client too.
 */
export class CookieBrowser {
  readonly cookies = new Map<string, string>();
  readonly pagesSeen: PageSeen[] = [];

  /** One request with the cookies held, keeping those the answer sets (and dropping those it expires). */
  async request(url: string | URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.keep(line);
    return response;
  }

  /**
   * From the authorization URL to the redirect to the client: GETs and
   * 303s followed, forms filled; resolves with the URL the browser was sent
   * to, whose prefix is `redirectUri`. Anything unexpected throws, with the
   * page's text.
   */
  async authorize(authorizationUrl: string | URL, redirectUri: string, person: PersonAtThePages): Promise<URL> {
    let url = new URL(authorizationUrl);
    let response = await this.request(url);
    for (let step = 0; step < 10; step++) {
      if (response.status >= 300 && response.status < 400) {
        const location = new URL(response.headers.get('location')!, url);
        if (location.href.startsWith(redirectUri)) return location;
        url = location;
        response = await this.request(url);
        continue;
      }
      const html = await response.text();
      if (response.status !== 200) throw new Error(`${response.status} at ${url.pathname}: ${html.slice(0, 600)}`);
      const { action, fields } = formOf(html);
      const filled = new URLSearchParams(fields);
      if (html.includes('name="password"')) {
        this.pagesSeen.push('login');
        filled.set('username', person.username);
        filled.set('password', person.password);
      } else if (html.includes('name="otp"')) {
        if (!person.otp) throw new Error('the second-factor page came, and the person has no code');
        this.pagesSeen.push('second-factor');
        filled.set('otp', await person.otp());
      } else if (html.includes('name="decision"')) {
        this.pagesSeen.push('consent');
        filled.set('decision', person.decision ?? 'allow');
      } else {
        throw new Error(`a page with no form this person knows: ${html.slice(0, 600)}`);
      }
      url = new URL(action, url);
      response = await this.request(url, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: filled });
    }
    throw new Error('more than ten steps to the client');
  }

  /** RFC 6265 §5.2, as much as one host needs: name=value, gone when Max-Age ≤ 0 or Expires has passed. */
  private keep(line: string): void {
    const [pair, ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    const attribute = (key: string) => attributes.find((entry) => entry.toLowerCase().startsWith(`${key}=`))?.slice(key.length + 1);
    const maxAge = attribute('max-age');
    const expires = attribute('expires');
    const expired = (maxAge !== undefined && Number(maxAge) <= 0) || (expires !== undefined && Date.parse(expires) <= Date.now());
    if (expired) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }
}
