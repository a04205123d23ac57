import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../access/decorators/public.decorator.js';
import { CurrentRequest, type RequestContext } from '../../http/request-context.js';
import { CsrfProtected } from '../../pages/csrf.js';
import { HostedPage } from '../../pages/hosted-page.decorator.js';
import { fieldsOf, PageBody } from '../../pages/page-params.js';
import { AuthorizationFlowService } from './authorization-flow.service.js';
import { ConsentFormDto, LoginFormDto, PasskeyFormDto, SecondFactorFormDto } from './dto/login-form.dto.js';

/**
 * The authorization endpoint (RFC 6749 §3.1, GET and POST) and the hosted
 * pages it leads through: login (with a password or a passkey), second factor, consent. Every form carries
 * the authorization request in hidden fields and a CSRF token; every step
 * checks the request again. Errors before the redirect URI is known are
 * pages, never redirects.
 */
@Controller('authorize')
@Public()
@HostedPage()
export class AuthorizationController {
  constructor(private readonly flow: AuthorizationFlowService) {}

  @Get()
  authorize(@Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.start(fieldsOf(http.query), http, reply, request);
  }

  /** RFC 6749 §3.1: the endpoint MUST support GET and MAY support POST (a form-encoded request; no CSRF token: it comes from the client's site and changes nothing a GET would not). */
  @Post()
  @HttpCode(200)
  authorizeByPost(@Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.start(fieldsOf(http.body), http, reply, request);
  }

  @Post('login')
  @CsrfProtected()
  login(@PageBody(LoginFormDto) form: LoginFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.signIn(fieldsOf(http.body), form, http, reply, request);
  }

  /** The passkey button of the login page: its script posts the answer here, with the CSRF token and the request, like the password form. */
  @Post('passkey')
  @CsrfProtected()
  passkey(@PageBody(PasskeyFormDto) form: PasskeyFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.signInWithPasskey(fieldsOf(http.body), form, http, reply, request);
  }

  @Post('second-factor')
  @CsrfProtected()
  secondFactor(@PageBody(SecondFactorFormDto) form: SecondFactorFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.secondFactor(fieldsOf(http.body), form, http, reply, request);
  }

  @Post('consent')
  @CsrfProtected()
  consent(@PageBody(ConsentFormDto) form: ConsentFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.consent(fieldsOf(http.body), form.decision === 'allow', http, reply, request);
  }
}
