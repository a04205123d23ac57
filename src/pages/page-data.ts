/**
 * What each template is given as `it`, besides what PageRenderer adds to
 * every page (`brand`, `stylesheet`, `passkeyScript`, `lang`, `csrfToken`). Field names of the
 * forms are fixed by the contract (OAUTH.md, "Hosted pages").
 */

/** The client a page names (its values escaped; clientUri linked, and clientLogoUri shown, only when http(s) / https). */
export interface ClientOnPage {
  clientName: string;
  clientUri?: string;
  /** Shown only when https; pass it in `imageSources` too, so the page's policy allows it. */
  clientLogoUri?: string;
}

/** The fields every form page takes. */
export interface FormPage {
  /** Where the form posts (a path on this host). */
  action: string;
  /** Carried over in hidden inputs (an authorization request's id, say). */
  hiddenFields?: Record<string, string>;
  /** A refusal, shown on the same page in an element with role="alert" that the fields point to (aria-describedby). */
  error?: string;
}

/** login.eta: fields `username` ("Username") and `password` ("Password"), button "Sign in"; and, with `passkeyAction`, "Sign in with a passkey". */
export interface LoginPage extends ClientOnPage, FormPage {
  /** Prefilled (login_hint, or the name typed before a refusal); the password field then has the focus. */
  username?: string;
  /** Where the passkey form posts (fields `challengeId`, `response`); absent: no passkey button. Render with `scripts: true`. */
  passkeyAction?: string;
  /** The sign-in options' URL the passkey script fetches. */
  passkeyOptions?: string;
}

/** second-factor.eta: field `otp` ("Code"), a TOTP code or a recovery code. */
export interface SecondFactorPage extends FormPage {
  clientName?: string;
}

/** consent.eta: buttons `decision` = `allow` / `deny`. */
export interface ConsentPage extends ClientOnPage, FormPage {
  scopes: { name: string; description: string }[];
  /** Who is signed in. */
  username?: string;
}

/** message.eta: a result. */
export interface MessagePage {
  title: string;
  message: string;
  tone?: 'success' | 'info';
  /** Shown only when the href is http(s) or a path. */
  link?: { href: string; text: string };
}

/** logout.eta: one button ("Sign out") that confirms an RP-initiated logout. */
export interface LogoutPage extends Partial<ClientOnPage>, FormPage {
  /** Who is signed in, when a session is. */
  username?: string;
}

/** device.eta: the device verification page (RFC 8628 §3.3), field `user_code` ("Code shown on your device"), button "Continue". */
export interface DevicePage extends FormPage {
  /** Pre-filled from verification_uri_complete (or the code typed before a refusal). */
  userCode?: string;
}
