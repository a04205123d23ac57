import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { APP_CONFIGURATION, type AppConfiguration } from '../../config/configuration.js';
import type { RequestContext } from '../../http/request-context.js';
import { raiseSecurityEvent } from '../../security-events/security-event.js';
import type { Session } from '../../sessions/entities/session.entity.js';
import { SessionsService } from '../../sessions/sessions.service.js';
import { SigningKeysService } from '../../tokens/signing-keys.service.js';
import { ClientsService } from '../clients/clients.service.js';
import type { OAuthClient } from '../clients/entities/oauth-client.entity.js';

/** The parameters of RP-Initiated Logout 1.0 §2 that Gatehouse reads; `ui_locales` is accepted and ignored (the pages are in one language). */
export const END_SESSION_PARAMETERS = ['id_token_hint', 'client_id', 'post_logout_redirect_uri', 'state', 'logout_hint', 'ui_locales'] as const;
type EndSessionParameter = (typeof END_SESSION_PARAMETERS)[number];

/** An id_token is a few hundred characters; a hint ten times longer is not one of ours. Everything else is a short string. */
const MAX_HINT_LENGTH = 8192;
const MAX_PARAMETER_LENGTH = 2048;

const BAD_HINT = 'The id_token_hint is not an ID token this server issued: it cannot be used to sign out.';

/** What an id_token_hint says, once its signature is ours. */
export interface LogoutHint {
  sub: string;
  sid: string | undefined;
  /** The client it was issued to (`azp`, else its single `aud`). */
  clientId: string | undefined;
}

/** A logout request, checked: who asks, where to go afterwards (null: our own "signed out" page). */
export interface ValidatedLogout {
  client: OAuthClient | null;
  hint: LogoutHint | null;
  redirectUri: string | null;
  state: string | undefined;
  /** The parameters as sent, for the confirmation page's hidden fields (checked again when it comes back). */
  parameters: Partial<Record<EndSessionParameter, string>>;
}

/**
 * OpenID Connect RP-Initiated Logout 1.0: the checks of a logout request
 * (§2, §3) and the end of the browser session. An id_token_hint must carry
 * our signature, by a key of the key set with the key's own algorithm, and
 * our issuer; an expired one is fine (§2: the OP need not be concerned with
 * whether it has expired). post_logout_redirect_uri is matched as an exact
 * string against the client's registration, and a request that fails any
 * check is a 400 page: never a redirect, and nothing ended.
 */
@Injectable()
export class EndSessionService {
  constructor(
    private readonly clients: ClientsService,
    private readonly sessions: SessionsService,
    private readonly signingKeys: SigningKeysService,
    private readonly events: EventEmitter2,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  async validate(raw: Record<string, unknown>): Promise<ValidatedLogout> {
    const parameters = this.parametersOf(raw);
    const hint = parameters.id_token_hint === undefined ? null : await this.verifyHint(parameters.id_token_hint);
    const client = await this.clientOf(hint, parameters.client_id);
    const redirectUri = parameters.post_logout_redirect_uri ?? null;
    if (redirectUri !== null) {
      // §2: the OP needs to know the client to check the URI: the hint's audience, or client_id.
      if (!client) throw new BadRequestException('post_logout_redirect_uri needs id_token_hint or client_id, to know which application registered it.');
      // §3: "MUST NOT perform post-logout redirection" to a URI not registered; exact string comparison, as for redirect_uri.
      if (!client.postLogoutRedirectUris.includes(redirectUri)) throw new BadRequestException(`This post_logout_redirect_uri is not registered for ${client.clientName}: you were not signed out.`);
    }
    return { client, hint, redirectUri, state: parameters.state, parameters };
  }

  /**
   * Whether the hint proves that this browser's session is the one the
   * application means: it was issued in this very session (`sid`) to its
   * person (`sub`). Then no confirmation is asked (§2, "the OP SHOULD ask the
   * End-User whether to log out" — unless the hint shows it is that user's
   * current session).
   */
  provesSession(hint: LogoutHint | null, session: Session): boolean {
    return hint !== null && hint.sid === session.id && hint.sub === String(session.userId);
  }

  /** Ends the browser session and every client session that grew from it (their tokens refused), and records why. */
  async end(session: Session, client: OAuthClient | null, request: RequestContext): Promise<void> {
    await this.sessions.endById(session.id);
    raiseSecurityEvent(this.events, {
      type: 'session.ended',
      actorId: session.userId,
      subjectId: session.userId,
      request,
      details: { sessionId: session.id, reason: 'rp-logout', clientId: client?.clientId ?? null },
    });
  }

  /** Each parameter once (RFC 6749 §3.1, which OIDC follows), each of bounded length; unknown ones ignored. */
  private parametersOf(raw: Record<string, unknown>): ValidatedLogout['parameters'] {
    const parameters: ValidatedLogout['parameters'] = {};
    for (const name of END_SESSION_PARAMETERS) {
      const value = raw[name];
      if (value === undefined) continue;
      if (typeof value !== 'string') throw new BadRequestException(`${name} was sent more than once.`);
      if (value.length > (name === 'id_token_hint' ? MAX_HINT_LENGTH : MAX_PARAMETER_LENGTH)) throw new BadRequestException(`${name} is too long.`);
      parameters[name] = value;
    }
    return parameters;
  }

  /**
   * The hint's signature checked against the key set, the key's algorithm
   * pinned (no `none`, no algorithm the header picks); the issuer ours; an
   * access token (`typ: at+jwt`, RFC 9068) is not an ID token. Not its
   * expiry (§2). A kid not in the key set (unknown, retired, revoked) is no
   * proof of anything.
   */
  private async verifyHint(token: string): Promise<LogoutHint> {
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new BadRequestException(BAD_HINT);
    }
    const typ: unknown = header.typ;
    if (typeof header.kid !== 'string' || (typ !== undefined && (typeof typ !== 'string' || typ.toUpperCase() !== 'JWT'))) throw new BadRequestException(BAD_HINT);
    const key = await this.signingKeys.verificationKey(header.kid);
    if (!key) throw new BadRequestException(BAD_HINT);
    let claims: Record<string, unknown>;
    try {
      const { payload } = await compactVerify(token, key.publicKey, { algorithms: [key.algorithm] });
      claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch {
      throw new BadRequestException(BAD_HINT);
    }
    const { iss, sub, sid, aud, azp } = claims ?? {};
    if (iss !== this.config.jwt.issuer || typeof sub !== 'string' || (sid !== undefined && typeof sid !== 'string')) throw new BadRequestException(BAD_HINT);
    // Our access tokens are signed by the same keys; theirs are claims an ID token never has (the password grant's are typed plain JWT).
    if ('scope' in claims || 'cv' in claims || 'client_id' in claims) throw new BadRequestException(BAD_HINT);
    // OIDC Core §2: azp names the party the token was issued to; without it, a single audience is that party.
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((value) => typeof value === 'string') : [];
    const clientId = typeof azp === 'string' ? azp : audiences.length === 1 ? audiences[0] : undefined;
    return { sub, sid, clientId };
  }

  /** The client the request is from: the hint's, which client_id must repeat when both are sent (§2). */
  private async clientOf(hint: LogoutHint | null, clientId: string | undefined): Promise<OAuthClient | null> {
    if (hint?.clientId !== undefined && clientId !== undefined && hint.clientId !== clientId) throw new BadRequestException('client_id is not the application the id_token_hint was issued to.');
    const id = clientId ?? hint?.clientId;
    if (id === undefined) return null;
    const client = await this.clients.findActive(id);
    if (!client) throw new BadRequestException('Unknown client: the application that sent you here is not registered with this server (client_id).');
    return client;
  }
}
