import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@nestjs/common';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from './helpers/app.js';
import { mailSettled } from './helpers/smtp-server.js';

/**
 * Without SMTP_URL (outside production) every message is an .eml file in
 * <data folder>/outbox/, with its text beside it as .txt, private to the
 * service's user, and a log line says where: a new user can finish a reset
 * with no mail server. On SQLite, whose file decides the data folder, on
 * either test database.
 */
const PASSWORD = 'correct-horse-battery';
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-outbox-'));
const outbox = join(folder, 'data', 'outbox');
const logs = vi.spyOn(Logger.prototype, 'log');
let testApp: TestApp;

beforeAll(async () => {
  testApp = await createTestApp({ DATABASE_URL: `sqlite:${join(folder, 'data', 'app.sqlite')}`, SMTP_URL: '' });
});
afterAll(async () => {
  await testApp?.close();
  rmSync(folder, { recursive: true, force: true });
});

/** The message the last log line about the outbox names: its file, read and parsed. */
async function lastOutboxMessage(template: string) {
  await mailSettled(testApp);
  const line = logs.mock.calls.map(([message]) => String(message)).filter((message) => message.startsWith(`no SMTP_URL: the ${template} mail`)).at(-1);
  const [, file, textFile] = /was written to (\S+\.eml) \(its text: (\S+\.txt)\)$/.exec(line ?? '') ?? [];
  if (!file) throw new Error(`no log line about a ${template} mail in the outbox`);
  const parsed = await simpleParser(readFileSync(file));
  // The text alone, as a person reads it: the links whole, not wrapped as in the .eml.
  expect(readFileSync(textFile, 'utf8')).toBe(`Subject: ${parsed.subject}\n\n${parsed.text}`);
  expect(statSync(textFile).mode & 0o777).toBe(0o600);
  return { file, text: readFileSync(textFile, 'utf8'), parsed };
}

const tokenIn = (text: string | undefined, path: string) => new RegExp(`${path}\\?token=([A-Za-z0-9_-]+)`).exec(text ?? '')?.[1];

describe('the outbox (no SMTP_URL)', () => {
  it('writes each message as a private .eml file, logs where, and a reset can be finished from the files', async () => {
    await testApp.http().post('/auth').send({ username: 'outboxed', password: PASSWORD, email: 'outboxed@example.test' }).expect(201);
    const verification = await lastOutboxMessage('verify-email');
    expect(verification.file.startsWith(`${outbox}/`)).toBe(true);
    expect(statSync(outbox).mode & 0o777).toBe(0o700);
    expect(statSync(verification.file).mode & 0o777).toBe(0o600);
    expect(verification.parsed.to).toMatchObject({ text: 'outboxed@example.test' });
    expect(verification.parsed.from?.text).toBe('"Gatehouse" <no-reply@localhost>');
    await testApp.http().post('/auth/email/verify').send({ token: tokenIn(verification.text, '/verify-email') }).expect(204);

    await testApp.http().post('/auth/password/forgot').send({ username: 'outboxed' }).expect(202);
    const reset = await lastOutboxMessage('password-reset');
    expect(reset.parsed.subject).toBe('Reset your password');
    await testApp.http().post('/auth/password/reset').send({ token: tokenIn(reset.text, '/reset-password'), newPassword: 'violet-tangerine-kayak' }).expect(204);
    await testApp.http().post('/auth/token').type('form').send({ username: 'outboxed', password: 'violet-tangerine-kayak' }).expect(200);
    expect((await lastOutboxMessage('security-notice')).parsed.subject).toBe('Your password was reset');
    expect(readdirSync(outbox).filter((name) => name.endsWith('.eml'))).toHaveLength(3);
    expect(readdirSync(outbox).filter((name) => name.endsWith('.txt'))).toHaveLength(3);
  });
});
