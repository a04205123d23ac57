import { Module } from '@nestjs/common';
import { ThrottleModule } from '../throttle/throttle.module.js';
import { MailService } from './mail.service.js';

/** Outgoing mail (nodemailer over SMTP_URL, or the outbox folder) from the templates in templates/, within a limit per address. Knows nothing of accounts. */
@Module({
  imports: [ThrottleModule],
  providers: [MailService],
  exports: [MailService],
})
export class MailModule {}
