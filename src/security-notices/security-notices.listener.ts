import { Injectable } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { ANY_SECURITY_EVENT, type SecurityEvent } from '../security-events/security-event.js';
import { SecurityNoticesService } from './security-notices.service.js';

/**
 * Where security events become notices: every service raises its events as
 * it always did (login, auth, users, sessions, throttle, passkeys) and knows
 * nothing of mail; this subscribes, as the audit trail and metrics do.
 */
@Injectable()
export class SecurityNoticesListener {
  constructor(private readonly notices: SecurityNoticesService) {}

  @OnEvent(ANY_SECURITY_EVENT)
  heard(event: SecurityEvent): void {
    this.notices.hear(event);
  }
}
