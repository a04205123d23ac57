import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MailModule } from '../mail/mail.module.js';
import { RecoveryModule } from '../recovery/recovery.module.js';
import { UsersModule } from '../users/users.module.js';
import { KnownSignIn } from './entities/known-sign-in.entity.js';
import { NoticeWindow } from './entities/notice-window.entity.js';
import { SecurityNotice } from './entities/security-notice.entity.js';
import { SecurityNoticesDispatcher } from './security-notices.dispatcher.js';
import { SecurityNoticesListener } from './security-notices.listener.js';
import { SecurityNoticesService } from './security-notices.service.js';

/**
 * Security notices by e-mail (docs/operations.md, "Security notices"): the security
 * events an account's owner should hear of, mailed to its verified address
 * through a durable outbox, at most one of a kind per NOTICE_INTERVAL.
 * Nothing imports it: it listens.
 */
@Module({
  imports: [TypeOrmModule.forFeature([SecurityNotice, NoticeWindow, KnownSignIn]), MailModule, RecoveryModule, UsersModule],
  providers: [SecurityNoticesService, SecurityNoticesDispatcher, SecurityNoticesListener],
  exports: [SecurityNoticesService],
})
export class SecurityNoticesModule {}
