import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { PasswordResetService } from '../../src/auth/password-reset.service.js';
import { MailService } from '../../src/mail/mail.service.js';
import { SecurityNoticesService } from '../../src/security-notices/security-notices.service.js';
import type { TestApp } from './app.js';

/** What the server does with a message: take it, refuse its recipient, or refuse the login. */
export type SmtpBehaviour = 'accept' | 'refuse-recipient' | 'refuse-login';

export interface ReceivedMail {
  /** The envelope recipients, as the client gave them in RCPT TO. */
  to: string[];
  /** The whole message, as it came over the wire. */
  raw: string;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  port: number;
  /** smtp:// with the credentials this server takes (the password has characters that must be URL-encoded). */
  url: string;
  received: ReceivedMail[];
  /** Connections opened to it so far: each delivery try opens one. */
  connections: () => number;
  /** Resolves once no connection is open (a client that was sent its last reply may still be closing). */
  idle: () => Promise<void>;
  behaviour: SmtpBehaviour;
  /** The next message to `to` (in any case) not yet taken by an earlier call; waits up to 10 s for it. */
  nextMailTo: (to: string) => Promise<ReceivedMail>;
  close: () => Promise<void>;
}

export const SMTP_USER = 'gatehouse';
export const SMTP_PASSWORD = 'p@ss/w:rd%&';

/**
 * A real SMTP server (the smtp-server package, nodemailer's sibling) on a
 * free loopback port: it asks for a login (plain text, as a local relay may),
 * keeps every message whole and parsed (mailparser), and can be told to
 * refuse recipients or logins. No STARTTLS: the client would not trust its
 * self-signed certificate. `listenOn`: that port (a server started again where
 * one was stopped), else a free one.
 */
export async function startSmtpServer(listenOn = 0): Promise<TestSmtpServer> {
  const received: ReceivedMail[] = [];
  const taken = new Set<ReceivedMail>();
  let connections = 0;
  let open = 0;
  const state: { behaviour: SmtpBehaviour } = { behaviour: 'accept' };
  const server = new SMTPServer({
    logger: false,
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    onConnect: (_session, callback) => {
      connections++;
      open++;
      callback();
    },
    onClose: () => {
      open--;
    },
    onAuth: (auth, _session, callback) => {
      if (state.behaviour === 'refuse-login' || auth.username !== SMTP_USER || auth.password !== SMTP_PASSWORD) return callback(new Error('Invalid username or password'));
      callback(null, { user: auth.username });
    },
    onRcptTo: (_address, session, callback) => {
      if (!session.user) return callback(Object.assign(new Error('Authentication required'), { responseCode: 530 }));
      if (state.behaviour === 'refuse-recipient') return callback(Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 }));
      callback();
    },
    onData: (stream, session, callback) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw).then((parsed) => {
          received.push({ to: session.envelope.rcptTo.map(({ address }) => address), raw, parsed });
          callback();
        }, callback);
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(listenOn, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    port,
    url: `smtp://${SMTP_USER}:${encodeURIComponent(SMTP_PASSWORD)}@127.0.0.1:${port}`,
    received,
    connections: () => connections,
    idle: async () => {
      for (const started = Date.now(); open > 0; await new Promise((resolve) => setTimeout(resolve, 5))) {
        if (Date.now() - started > 10_000) throw new Error(`${open} SMTP connections still open after 10 s`);
      }
    },
    get behaviour() {
      return state.behaviour;
    },
    set behaviour(behaviour: SmtpBehaviour) {
      state.behaviour = behaviour;
    },
    nextMailTo: async (to) => {
      for (const started = Date.now(); Date.now() - started < 10_000; await new Promise((resolve) => setTimeout(resolve, 20))) {
        const mail = received.find((candidate) => !taken.has(candidate) && candidate.to.some((recipient) => recipient.toLowerCase() === to.toLowerCase()));
        if (mail) {
          taken.add(mail);
          return mail;
        }
      }
      throw new Error(`no mail to ${to} arrived within 10 s (received: ${received.map((mail) => mail.to.join(',')).join('; ') || 'none'})`);
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The link in a mail's plain-text body that leads to `path`, and its token. */
export function linkIn(mail: ReceivedMail, path: string): { link: string; token: string } {
  const link = new RegExp(`https?://\\S+${path.replace(/\//g, '\\/')}\\?token=[A-Za-z0-9_-]+`).exec(mail.parsed.text ?? '')?.[0];
  if (!link) throw new Error(`no link to ${path} in:\n${mail.parsed.text}`);
  return { link, token: new URL(link).searchParams.get('token')! };
}

/** The six-digit code of a verification mail's plain-text body. */
export function codeIn(mail: ReceivedMail): string {
  const code = /^\s*(\d{6})\s*$/m.exec(mail.parsed.text ?? '')?.[1];
  if (!code) throw new Error(`no code in:\n${mail.parsed.text}`);
  return code;
}

/** Every password-reset request answered so far looked up, every security notice due recorded and tried, and every queued mail delivered or given up. */
export async function mailSettled(testApp: TestApp): Promise<void> {
  await testApp.app.get(PasswordResetService).settled();
  await testApp.app.get(SecurityNoticesService).settled();
  await testApp.app.get(MailService).settled();
}
