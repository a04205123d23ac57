import { Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Public } from '../../access/decorators/public.decorator.js';
import { CurrentRequest, type RequestContext } from '../../http/request-context.js';
import { CsrfProtected } from '../../pages/csrf.js';
import { HostedPage } from '../../pages/hosted-page.decorator.js';
import { PageBody, PageQuery } from '../../pages/page-params.js';
import { ConsentFormDto, LoginFormDto, SecondFactorFormDto } from '../authorization/dto/login-form.dto.js';
import { DeviceVerificationService } from './device-verification.service.js';
import { UserCodeFormDto, UserCodeQueryDto } from './dto/device-forms.dto.js';

/** The verification URI (RFC 8628 §3.3) and its steps: the code, the login, the consent. Hosted pages (CSRF on every form). */
@Controller('device')
@Public()
@HostedPage()
export class DeviceVerificationController {
  constructor(private readonly verification: DeviceVerificationService) {}

  @Get()
  show(@PageQuery(UserCodeQueryDto) query: UserCodeQueryDto, @Res() reply: FastifyReply): Promise<void> {
    return this.verification.show(query.user_code, reply);
  }

  @Post()
  @HttpCode(200)
  @CsrfProtected()
  enter(@PageBody(UserCodeFormDto) form: UserCodeFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.verification.enter(form.user_code, http, reply, request);
  }

  @Post('login')
  @CsrfProtected()
  login(@PageBody(LoginFormDto) form: LoginFormDto, @PageBody(UserCodeFormDto) code: UserCodeFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.verification.signIn(code.user_code, form.username, form.password, http, reply, request);
  }

  @Post('second-factor')
  @CsrfProtected()
  secondFactor(@PageBody(SecondFactorFormDto) form: SecondFactorFormDto, @PageBody(UserCodeFormDto) code: UserCodeFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.verification.secondFactor(code.user_code, form.otp, form.mfa_token, http, reply, request);
  }

  @Post('consent')
  @CsrfProtected()
  consent(@PageBody(ConsentFormDto) form: ConsentFormDto, @PageBody(UserCodeFormDto) code: UserCodeFormDto, @Req() http: FastifyRequest, @Res() reply: FastifyReply, @CurrentRequest() request: RequestContext): Promise<void> {
    return this.verification.decide(code.user_code, form.decision === 'allow', http, reply, request);
  }
}
