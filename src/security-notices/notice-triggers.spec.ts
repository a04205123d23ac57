import { describe, expect, it } from 'vitest';
import { SecurityEvent, type SecurityEventInit } from '../security-events/security-event.js';
import { noticeTriggerOf } from './notice-triggers.js';

const request = { clientAddress: '203.0.113.9', userAgent: 'Firefox', requestId: 'r' };
const of = (init: SecurityEventInit) => noticeTriggerOf(new SecurityEvent({ request, ...init }));
const self = { actorId: 7, subjectId: 7 };

describe('which security events are a notice', () => {
  it('maps every kind from the event that raises it', () => {
    expect(of({ type: 'login', ...self, details: { method: 'password', completed: true } })).toEqual({ kind: 'new-sign-in', account: { id: 7 } });
    expect(of({ type: 'throttle.blocked', outcome: 'failure', details: { limiter: 'account', username: 'alice' } })).toEqual({ kind: 'lockout', account: { username: 'alice' } });
    expect(of({ type: 'password.changed', ...self })?.kind).toBe('password-changed');
    expect(of({ type: 'password.reset', ...self })?.kind).toBe('password-reset');
    expect(of({ type: 'email.changed', ...self, details: { email: 'new@example.test', respelled: false, previousEmail: 'old@example.test' } })).toEqual({
      kind: 'email-changed',
      account: { id: 7 },
      recipient: 'old@example.test',
    });
    expect(of({ type: 'mfa.enabled', ...self, details: { factor: 'totp' } })?.kind).toBe('totp-enabled');
    expect(of({ type: 'mfa.disabled', ...self, details: { factor: 'totp' } })?.kind).toBe('totp-disabled');
    expect(of({ type: 'mfa.recovery-code-used', ...self })?.kind).toBe('recovery-code-used');
    expect(of({ type: 'mfa.recovery-codes-regenerated', ...self })?.kind).toBe('recovery-codes-regenerated');
    expect(of({ type: 'passkey.registered', ...self })?.kind).toBe('passkey-added');
    expect(of({ type: 'passkey.deleted', ...self })?.kind).toBe('passkey-removed');
    expect(of({ type: 'session.ended', actorId: 1, subjectId: 7, details: { sessions: 3, keptCurrent: false } })?.kind).toBe('sessions-ended');
  });

  it('takes a passkey sign-in, which says nothing of `completed`, as a sign-in', () => {
    expect(of({ type: 'login', ...self, details: { method: 'passkey' } })?.kind).toBe('new-sign-in');
  });

  it('ignores what signed nobody in, changed nothing, or was the account’s own doing', () => {
    expect(of({ type: 'login', ...self, details: { method: 'password', completed: false } })).toBeNull();
    expect(of({ type: 'login', ...self, details: { method: 'current-password' } })).toBeNull();
    expect(of({ type: 'login', ...self, details: { method: 'basic' } })).toBeNull();
    expect(of({ type: 'login', outcome: 'failure', subjectId: 7, details: { method: 'password' } })).toBeNull();
    expect(of({ type: 'throttle.blocked', outcome: 'failure', details: { limiter: 'address', username: 'alice' } })).toBeNull();
    expect(of({ type: 'mfa.enabled', outcome: 'failure', ...self, details: { factor: 'totp', reason: 'wrong-code' } })).toBeNull();
    expect(of({ type: 'passkey.registered', outcome: 'failure', ...self })).toBeNull();
    expect(of({ type: 'session.ended', ...self, details: { sessions: 3, keptCurrent: false } })).toBeNull();
    expect(of({ type: 'session.ended', actorId: 1, subjectId: 7, details: { sessionId: 'x' } })).toBeNull();
    expect(of({ type: 'email.changed', ...self, details: { email: 'a@example.test', respelled: false, previousEmail: null } })).toBeNull();
    expect(of({ type: 'email.changed', ...self, details: { email: 'A@example.test', respelled: true, previousEmail: null } })).toBeNull();
    expect(of({ type: 'consent.granted', ...self })).toBeNull();
  });

  it('never mails an old address the event may have cut short', () => {
    const long = `${'a'.repeat(120)}@example.test`;
    expect(of({ type: 'email.changed', ...self, details: { email: 'n@example.test', respelled: false, previousEmail: long } })).toBeNull();
  });
});
