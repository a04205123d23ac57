import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../access/decorators/public.decorator.js';
import { CurrentRequest, type RequestContext } from '../../http/request-context.js';
import { CsrfProtected } from '../../pages/csrf.js';
import { HostedPage } from '../../pages/hosted-page.decorator.js';
import { fieldsOf } from '../../pages/page-params.js';
import { LogoutFlowService } from './logout-flow.service.js';

/**
 * The end_session_endpoint (OpenID Connect RP-Initiated Logout 1.0 §2: GET
 * and POST) and its confirmation page, whose form posts to /logout/confirm
 * with a CSRF token.
 */
@Controller('logout')
@Public()
@HostedPage()
export class LogoutController {
  constructor(private readonly flow: LogoutFlowService) {}

  @Get()
  logout(@Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.start(fieldsOf(http.query), http, reply, request);
  }

  /** §2: "The OP MUST support the use of the HTTP GET and POST methods" (form-encoded). No CSRF token: it comes from the application's site, and ends nothing without proof or confirmation. */
  @Post()
  @HttpCode(200)
  logoutByPost(@Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.start(fieldsOf(http.body), http, reply, request);
  }

  @Post('confirm')
  @CsrfProtected()
  confirm(@Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.flow.confirm(fieldsOf(http.body), http, reply, request);
  }
}
