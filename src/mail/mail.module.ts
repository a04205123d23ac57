import { Module } from '@nestjs/common';
import { MailService } from './mail.service.js';

/** Outgoing mail (nodemailer over SMTP_URL, or the outbox folder) from the templates in templates/. Knows nothing of accounts. */
@Module({
  providers: [MailService],
  exports: [MailService],
})
export class MailModule {}
