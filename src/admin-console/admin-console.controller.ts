import { BadRequestException, Controller, Get, HttpCode, NotFoundException, Param, ParseIntPipe, Post, Req, Res } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Console, FreshSignIn, Visitor } from '../console-session/console-access.js';
import { ConsoleSessionService, type ConsoleVisitor } from '../console-session/console-session.service.js';
import { CurrentRequest, type RequestContext } from '../http/request-context.js';
import { MfaService } from '../mfa/mfa.service.js';
import { ClientsService } from '../oauth/clients/clients.service.js';
import type { GrantType } from '../oauth/clients/client-metadata.js';
import { CsrfProtected } from '../pages/csrf.js';
import { runForm, validForm, type FormProblem } from '../pages/form-problem.js';
import { PageBody, PageForm } from '../pages/page-params.js';
import { PageRenderer } from '../pages/page-renderer.js';
import { raiseSecurityEvent, SECURITY_EVENT_TYPES, type Actor } from '../security-events/security-event.js';
import { SessionsService } from '../sessions/sessions.service.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import { UsersService } from '../users/users.service.js';
import { ADMIN_NOTICES, AdminConsoleService } from './admin-console.service.js';
import { ConsoleFilters, filledQuery } from './console-filters.js';
import { AuditFilterDto, ChangeRoleFormDto, ClientEditFormDto, ClientFormDto, ConfirmFormDto, UsersSearchDto } from './dto/admin-forms.dto.js';

const USER_ID = new ParseIntPipe({ exceptionFactory: () => new BadRequestException('That is not an account id: go back to the list of users.') });
const actorOf = ({ user }: ConsoleVisitor, request: RequestContext): Actor => ({ actorId: user.id, request });
const noticeOf = (http: FastifyRequest) => ADMIN_NOTICES[filledQuery(http).done ?? ''];
/** What a refused client form shows again as typed (there is no secret among them). */
const CLIENT_FIELDS = ['client_name', 'redirect_uris', 'grant_types', 'token_endpoint_auth_method', 'skip_consent'] as const;

/**
 * The admin console (/admin): for accounts with the admin role (else a 403
 * page), over the services of the admin API (/users, /clients, /keys,
 * /audit), their rules and their audit events. Every change is a POST form
 * with its CSRF token, and asks for a sign-in within the last 5 minutes
 * (@FreshSignIn), or else the password typed again on the form, or else the
 * hosted login again (max_age=0); it answers with a
 * 303 back to its page, or, for a secret shown once, a page of its own.
 */
@Controller('admin')
@Console('admin')
export class AdminConsoleController {
  constructor(
    private readonly view: AdminConsoleService,
    private readonly pages: PageRenderer,
    private readonly users: UsersService,
    private readonly sessions: SessionsService,
    private readonly mfa: MfaService,
    private readonly clients: ClientsService,
    private readonly signingKeys: SigningKeysService,
    private readonly events: EventEmitter2,
    private readonly consoleSession: ConsoleSessionService,
  ) {}

  /** A page with sensitive forms: they carry a password field (it.reauth) once the sign-in is no longer fresh (ConsoleGuard). */
  private render(reply: FastifyReply, visitor: ConsoleVisitor, template: string, data: object, status = 200): Promise<void> {
    return this.pages.render(reply, template, { ...data, reauth: this.consoleSession.reauthentication(visitor) }, { status });
  }

  @Get()
  home(@Res() reply: FastifyReply): void {
    reply.status(303).header('location', '/admin/users').send();
  }

  @Get('users')
  async usersPage(@ConsoleFilters(UsersSearchDto) { q, page = 1 }: UsersSearchDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.pages.render(reply, 'admin-users', { ...(await this.view.usersPage(q, page)), notice: noticeOf(http) });
  }

  @Get('users/:id')
  async userPage(@Param('id', USER_ID) id: number, @Visitor() visitor: ConsoleVisitor, @Req() http: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.render(reply, visitor, 'admin-user', { ...(await this.view.userPage(await this.users.findByIdOrThrow(id))), notice: noticeOf(http) });
  }

  @Post('users/:id/role')
  @FreshSignIn()
  @CsrfProtected()
  async changeRole(@Param('id', USER_ID) id: number, @PageBody(ChangeRoleFormDto) { role }: ChangeRoleFormDto, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.users.changeRole(id, role, actorOf(visitor, request));
    back(reply, `/admin/users/${id}`, 'role-changed');
  }

  @Post('users/:id/end-sessions')
  @FreshSignIn()
  @CsrfProtected()
  async endSessions(@Param('id', USER_ID) id: number, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.users.findByIdOrThrow(id);
    await this.sessions.endAll(id, undefined, actorOf(visitor, request));
    back(reply, `/admin/users/${id}`, 'sessions-ended');
  }

  /** For a person who lost their authenticator and their recovery codes: MfaService turns it off; the trail says an admin did. */
  @Post('users/:id/reset-two-factor')
  @FreshSignIn()
  @CsrfProtected()
  async resetTwoFactor(@Param('id', USER_ID) id: number, @PageBody(ConfirmFormDto) _confirm: ConfirmFormDto, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const user = await this.users.findByIdOrThrow(id);
    if (!user.totpEnabled) throw new BadRequestException('Two-factor is not on for this account: there is nothing to reset.');
    await this.mfa.disable(id);
    raiseSecurityEvent(this.events, { type: 'mfa.disabled', subjectId: id, ...actorOf(visitor, request), details: { factor: 'totp', byAdmin: true } });
    back(reply, `/admin/users/${id}`, 'two-factor-reset');
  }

  @Post('users/:id/delete')
  @FreshSignIn()
  @CsrfProtected()
  async deleteUser(@Param('id', USER_ID) id: number, @PageBody(ConfirmFormDto) _confirm: ConfirmFormDto, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.users.delete(id, actorOf(visitor, request));
    back(reply, '/admin/users', 'user-deleted');
  }

  @Get('clients')
  async clientsPage(@ConsoleFilters(UsersSearchDto) { page = 1 }: UsersSearchDto, @Visitor() visitor: ConsoleVisitor, @Req() http: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.render(reply, visitor, 'admin-clients', { ...(await this.view.clientsPage(page)), notice: noticeOf(http) });
  }

  /** The secret is on this answer only (ClientsService keeps its hash): a page of its own, never a redirect carrying it. A refusal is shown on the form, as typed. */
  @Post('clients/new')
  @HttpCode(200)
  @FreshSignIn()
  @CsrfProtected()
  async createClient(@PageForm() body: unknown, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const show = async (problem: FormProblem, status: number) => this.render(reply, visitor, 'admin-clients', { ...(await this.view.clientsPage(1)), problem }, status);
    await runForm('client-new', body, CLIENT_FIELDS, show, async () => {
      const form = await validForm(ClientFormDto, body);
      const { client, clientSecret } = await this.clients.create(
        { clientName: form.client_name, redirectUris: form.redirect_uris, grantTypes: form.grant_types as GrantType[], tokenEndpointAuthMethod: form.token_endpoint_auth_method ?? 'client_secret_basic', skipConsent: form.skip_consent ?? false },
        actorOf(visitor, request),
      );
      await this.pages.render(reply, 'admin-secret', { title: 'Application registered', clientId: client.clientId, clientName: client.clientName, clientSecret });
    });
  }

  @Get('clients/:clientId')
  async clientPage(@Param('clientId') clientId: string, @Visitor() visitor: ConsoleVisitor, @Req() http: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.render(reply, visitor, 'admin-client', { ...(await this.view.clientPage(clientId.slice(0, 64))), notice: noticeOf(http) });
  }

  /** A refusal (ClientsService's metadata rules) is shown on the form, as typed. */
  @Post('clients/:clientId/edit')
  @FreshSignIn()
  @CsrfProtected()
  async editClient(@Param('clientId') rawClientId: string, @PageForm() body: unknown, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const clientId = rawClientId.slice(0, 64);
    const show = async (problem: FormProblem, status: number) => this.render(reply, visitor, 'admin-client', { ...(await this.view.clientPage(clientId)), problem }, status);
    await runForm('client-edit', body, CLIENT_FIELDS, show, async () => {
      const form = await validForm(ClientEditFormDto, body);
      const { client } = await this.clients.update(clientId, { redirectUris: form.redirect_uris, grantTypes: form.grant_types as GrantType[] }, actorOf(visitor, request));
      back(reply, `/admin/clients/${encodeURIComponent(client.clientId)}`, 'client-updated');
    });
  }

  @Post('clients/:clientId/rotate-secret')
  @HttpCode(200)
  @FreshSignIn()
  @CsrfProtected()
  async rotateSecret(@Param('clientId') clientId: string, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const { client, clientSecret, previousSecretExpiresAt } = await this.clients.rotateSecret(clientId.slice(0, 64), actorOf(visitor, request));
    await this.pages.render(reply, 'admin-secret', { title: 'New client secret', clientId: client.clientId, clientName: client.clientName, clientSecret, previousSecretExpiresAt: previousSecretExpiresAt.toISOString() });
  }

  @Post('clients/:clientId/delete')
  @FreshSignIn()
  @CsrfProtected()
  async deleteClient(@Param('clientId') clientId: string, @PageBody(ConfirmFormDto) _confirm: ConfirmFormDto, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.clients.delete(clientId.slice(0, 64), actorOf(visitor, request));
    back(reply, '/admin/clients', 'client-deleted');
  }

  @Get('keys')
  async keysPage(@Visitor() visitor: ConsoleVisitor, @Req() http: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.render(reply, visitor, 'admin-keys', { ...(await this.view.keysPage()), notice: noticeOf(http) });
  }

  @Post('keys/rotate')
  @FreshSignIn()
  @CsrfProtected()
  async rotateKeys(@Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    await this.signingKeys.rotate(actorOf(visitor, request));
    back(reply, '/admin/keys', 'key-rotated');
  }

  /** The confirmation page of a revocation: what the key is, and what revoking it breaks. */
  @Get('keys/:kid')
  async keyPage(@Param('kid') kid: string, @Visitor() visitor: ConsoleVisitor, @Res() reply: FastifyReply): Promise<void> {
    const page = await this.view.keyPage(kid.slice(0, 128));
    if (!page) throw new NotFoundException(`There is no signing key ${kid.slice(0, 128)}: go back to the list of keys.`);
    await this.render(reply, visitor, 'admin-key', page);
  }

  @Post('keys/:kid/revoke')
  @FreshSignIn()
  @CsrfProtected()
  async revokeKey(@Param('kid') kid: string, @PageBody(ConfirmFormDto) _confirm: ConfirmFormDto, @Visitor() visitor: ConsoleVisitor, @CurrentRequest() request: RequestContext, @Res() reply: FastifyReply): Promise<void> {
    const key = await this.signingKeys.revoke(kid.slice(0, 128), actorOf(visitor, request));
    if (!key) throw new NotFoundException(`There is no signing key ${kid.slice(0, 128)}: go back to the list of keys.`);
    back(reply, '/admin/keys', 'key-revoked');
  }

  @Get('audit')
  async auditPage(@ConsoleFilters(AuditFilterDto) filters: AuditFilterDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { page, ...query } = filledQuery(http);
    await this.pages.render(reply, 'admin-audit', { ...(await this.view.auditPage(filterOf(filters), filters.page, query)), types: SECURITY_EVENT_TYPES });
  }

  /** The same filters as a CSV file (formula injection neutralised: audit-csv.ts). */
  @Get('audit.csv')
  async auditCsv(@ConsoleFilters(AuditFilterDto) filters: AuditFilterDto, @Res() reply: FastifyReply): Promise<void> {
    const csv = await this.view.auditCsv(filterOf(filters));
    reply
      .status(200)
      .headers({ 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="gatehouse-audit.csv"', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
      .send(csv);
  }

  @Get('config')
  async configPage(@Res() reply: FastifyReply): Promise<void> {
    await this.pages.render(reply, 'admin-config', this.view.configurationPage());
  }
}

/** The API's filter (GET /audit) from its query. */
function filterOf({ type, outcome, account, from, to }: AuditFilterDto) {
  return { type, outcome, accountId: account, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined };
}

/** Redirect-after-post: back to the page, with the notice of what was done. */
function back(reply: FastifyReply, path: string, done: string): void {
  reply.status(303).header('location', `${path}?done=${done}`).send();
}
