import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type RunningServer } from './helpers/server.js';

let server: RunningServer;

beforeAll(async () => {
  // The built service as deployed, logging at info; two failures per username and address, then 429.
  server = await startServer({ LOG_LEVEL: 'info', THROTTLE_LOGIN_FAILURES: '2' });
});
afterAll(() => server.stop());

const form = (requestId: string, fields: Record<string, string>) =>
  fetch(`${server.baseUrl}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-request-id': requestId }, body: new URLSearchParams(fields) });

/** The log line of the security event the request `requestId` caused, parsed (waits for the batched log to be written). */
async function auditLineOf(requestId: string, type: string): Promise<Record<string, unknown>> {
  await server.waitForOutput(`"requestId":"${requestId}"`);
  const lines = server.output().split('\n').filter((line) => line.includes(`"requestId":"${requestId}"`) && line.includes('"audit":true'));
  const line = lines.map((text) => JSON.parse(text) as Record<string, unknown>).find((parsed) => parsed.type === type);
  if (!line) throw new Error(`no ${type} line for ${requestId} in:\n${lines.join('\n')}`);
  return line;
}

/** pino's number for warn. */
const WARN = 40;

describe('security log lines', () => {
  it('a failed login is a warn line with the request id and the username as sent, never the password', async () => {
    const requestId = `log-${randomUUID()}`;
    expect((await form(requestId, { username: 'nobody-here', password: 'the-wrong-password' })).status).toBe(401);
    const line = await auditLineOf(requestId, 'login');
    expect(line).toMatchObject({ level: WARN, audit: true, outcome: 'failure', requestId, clientAddress: expect.stringMatching(/127\.0\.0\.1$/), details: { username: 'nobody-here', method: 'password' } });
    expect(server.output()).not.toContain('the-wrong-password');
  });

  it('a throttle block is a warn line naming the limiter', async () => {
    for (let attempt = 0; attempt < 2; attempt++) expect((await form(`warm-${randomUUID()}`, { username: 'blocked-one', password: 'wrong-password' })).status).toBe(401);
    const requestId = `log-${randomUUID()}`;
    expect((await form(requestId, { username: 'blocked-one', password: 'wrong-password' })).status).toBe(429);
    expect(await auditLineOf(requestId, 'throttle.blocked')).toMatchObject({ level: WARN, outcome: 'failure', requestId, details: { limiter: 'username-address', username: 'blocked-one' } });
  });

  it('a refresh token reuse is a warn line naming the account and session', async () => {
    const credentials = { username: 'reused-one', password: 'reused-password' };
    const registered = await fetch(`${server.baseUrl}/auth`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(credentials) });
    const { id } = (await registered.json()) as { id: number };
    const tokens = (await (await form(`login-${randomUUID()}`, credentials)).json()) as { refresh_token: string };
    expect((await form(`refresh-${randomUUID()}`, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status).toBe(200);
    const requestId = `log-${randomUUID()}`;
    expect((await form(requestId, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token })).status).toBe(401);
    expect(await auditLineOf(requestId, 'refresh-token.reused')).toMatchObject({ level: WARN, outcome: 'failure', subjectId: id, requestId, details: { sessionId: expect.any(String) } });
    expect(server.output()).not.toContain(tokens.refresh_token);
  });

  it('a success is an info line', async () => {
    const requestId = `log-${randomUUID()}`;
    expect((await form(requestId, { username: 'reused-one', password: 'reused-password' })).status).toBe(200);
    expect(await auditLineOf(requestId, 'login')).toMatchObject({ level: 30, outcome: 'success', context: 'Audit' });
  });
});
