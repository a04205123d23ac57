import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { copyPrintedClient, DOCS_URL, expectShown, runAsWritten, shellBlocks, withNewlines } from './helpers/docs-commands.js';
import { approveDeviceThroughPages } from './helpers/hosted-login.js';
import { freePort } from './helpers/listening-app.js';
import { startServer, type RunningServer } from './helpers/server.js';
import { startSmtpServer, type TestSmtpServer } from './helpers/smtp-server.js';

/**
 * docs/sign-in-your-app.md's commands, followed as written: registering
 * clients, client credentials, the device flow, dynamic registration,
 * sessions, two-factor, e-mail and password reset, and the password policy
 * (up to the Have I Been Pwned example, which needs that API). Every output
 * shown after `# → ` is matched. The sign-in flow itself is followed by
 * test/sign-in-example.e2e-spec.ts, "Passkeys" (which needs PUBLIC_URL on
 * localhost and a browser's authenticator) by
 * test/sign-in-passkeys-docs.e2e-spec.ts.
 *
 * What a person does by hand is done here: copying what a command printed
 * (a client id, an mfa_token, a device code), reading an authenticator app,
 * reading a mail, and answering on /device. Each is a substitution below,
 * checked to find its text on the page.
 */
const PAGE = 'docs/sign-in-your-app.md';
/** The page's admin (`-u root:admin-passphrase`), as the server's bootstrap admin. */
const ADMIN = { ADMIN_USERNAME: 'root', ADMIN_PASSWORD: 'admin-passphrase' };
const folder = mkdtempSync(join(tmpdir(), 'gatehouse-sign-in-docs-'));
const databaseUrl = `sqlite:${join(folder, 'app.sqlite')}`;
let server: RunningServer;
let smtp: TestSmtpServer;
let deliverMail: NodeJS.Timeout;

/**
 * The mailboxes: every message the SMTP server received, as its plain text,
 * in mailbox/<recipient>/<n>.txt in the order it came (written whole, then
 * renamed, so the shell never reads half a mail).
 */
function keepMailboxes(): NodeJS.Timeout {
  let delivered = 0;
  return setInterval(() => {
    for (; delivered < smtp.received.length; delivered++) {
      for (const recipient of smtp.received[delivered].to) {
        mkdirSync(join(folder, 'mailbox', recipient), { recursive: true });
        const file = join(folder, 'mailbox', recipient, `${delivered + 1}.txt`);
        writeFileSync(`${file}.part`, smtp.received[delivered].parsed.text ?? '');
        renameSync(`${file}.part`, file);
      }
    }
  }, 20);
}

/**
 * What the person reads, as shell functions for the substitutions:
 * `totp` is the authenticator app: the code for the secret the enabling
 * command printed (kept in totp.json), of the 30-second step after the last
 * one it showed (a code is accepted once, and one step of drift is allowed,
 * so the person need not wait for the next code); `mail_token PATH TO` is the
 * token of the link to PATH in the newest mail to TO that has one, waiting
 * for it to come.
 */
function personPrelude(): string {
  const authenticator = join(folder, 'authenticator.cjs');
  writeFileSync(
    authenticator,
    `const { readFileSync, writeFileSync, existsSync } = require('node:fs');
const { generate } = require(${JSON.stringify(createRequire(import.meta.url).resolve('otplib'))});
const secret = JSON.parse(readFileSync('totp.json', 'utf8')).secret;
const last = existsSync('totp-step') ? Number(readFileSync('totp-step', 'utf8')) : 0;
const step = Math.max(Math.floor(Date.now() / 30_000), last + 1);
writeFileSync('totp-step', String(step));
generate({ secret, epoch: step * 30 }).then((code) => console.log(code));
`,
  );
  return `totp() { node ${authenticator}; }
mail_token() { local mail; until mail=$(grep -l "$1?token=" "${folder}/mailbox/$2/"*.txt 2>/dev/null | sort -V | tail -1) && [ -n "$mail" ]; do sleep 0.05; done; grep -o "$1?token=[A-Za-z0-9_-]*" "$mail" | cut -d= -f2; }
`;
}

/** `text` with each `[found, typed]` made: every `found` must be on the page, so a changed page fails here rather than run something else. */
function typed(text: string, substitutions: [string, string][]): string {
  return substitutions.reduce((script, [found, instead]) => {
    expect(script, `the page still has ${found}`).toContain(found);
    return script.replaceAll(found, instead);
  }, text);
}

const host = () => new URL(server.baseUrl).host;
/** The page's addresses, for the test server's. */
const here = (text: string) => text.replaceAll('127.0.0.1:3000', host()).replaceAll('127.0.0.1%3A3000', encodeURIComponent(host()));

/** Runs a block (after the substitutions) as written: in the repository (for `npm run`), or in the test's folder. */
function follow(script: string, cwd = folder): Promise<string> {
  return runAsWritten(personPrelude() + here(withNewlines(script)), { cwd, env: { ...process.env, DATABASE_URL: databaseUrl, REDIS_URL: '' } });
}

beforeAll(async () => {
  smtp = await startSmtpServer();
  deliverMail = keepMailboxes();
  // A port of its own rather than 0: the addresses it gives (verification_uri) are PUBLIC_URL's, by default http://127.0.0.1:$PORT.
  server = await startServer({ ...ADMIN, PORT: String(await freePort()), DATABASE_URL: databaseUrl, CLIENT_REGISTRATION: 'open', SMTP_URL: smtp.url, MAIL_FROM: 'Gatehouse <no-reply@example.com>', MAIL_RETRY_DELAY: '0' });
}, 60_000);
afterAll(async () => {
  clearInterval(deliverMail);
  await server?.stop();
  await smtp?.close();
});

describe(`${PAGE}, followed as written`, () => {
  const [register, clientCredentials, device] = shellBlocks(PAGE, '## Sign users in to your application').filter((block) => block.includes('http://127.0.0.1:3000/'));

  it('"Register the application": client:create, then POST /clients as the admin', async () => {
    const stdout = await follow(register.split('\n').map((line) => copyPrintedClient(line, join(folder, 'my-app.txt'))).join('\n'), process.cwd());
    expectShown(stdout, register, here);
    expect(readFileSync(join(folder, 'my-app.txt'), 'utf8')).toMatch(/client_secret: \S{43}/);
  });

  it('"A machine": client:create with client_credentials, then its token', async () => {
    const stdout = await follow(clientCredentials.split('\n').map((line) => copyPrintedClient(line, join(folder, 'reports-job.txt'))).join('\n'), process.cwd());
    expectShown(stdout, clientCredentials, here);
  });

  it('"Devices and CLIs": a public client, the codes, polling while the person answers on /device, then the tokens', async () => {
    const screen = (name: string) => join(folder, `device-${name}`);
    const pollCommand = /^curl .* -d device_code=…$/m.exec(device)?.[0] ?? 'the page polls with device_code=…';
    const script = typed(device.split('\n').map((line) => copyPrintedClient(line, screen('client.txt'))).join('\n'), [
      // The person reads the codes off the screen…
      ['-d scope="openid profile"\n', `-d scope="openid profile" | tee ${screen('codes.json')}\n`],
      // …and the device polls every 5 seconds (the interval it was given), with the device_code it was given, until the tokens come.
      [
        pollCommand,
        `for poll in 1 2 3 4 5 6; do ${pollCommand.replace('device_code=…', `device_code=$(node -p 'require("${screen('codes.json')}").device_code')`)} | tee ${screen('answer.json')}; echo; grep -q access_token ${screen('answer.json')} && break; touch ${screen('polled')}; sleep 5; done`,
      ],
    ]);
    const running = follow(script, process.cwd());
    let settled = false;
    void running.finally(() => (settled = true)).catch(() => {});
    // The person, once the device has been told to wait: an account of their own, then /device.
    while (!existsSync(screen('polled'))) {
      if (settled) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!settled) {
      const { user_code: userCode } = JSON.parse(readFileSync(screen('codes.json'), 'utf8')) as { user_code: string };
      await request(server.baseUrl).post('/auth').send({ username: 'frank', password: 'correct-horse' }).expect(201);
      const page = await approveDeviceThroughPages(request.agent(server.baseUrl), userCode, 'frank', 'correct-horse');
      expect(page.text).toContain('return to your device');
    }
    const stdout = await running;
    // The user code is new each time: the page's example stands for any.
    expectShown(stdout, device, (line) => here(line).replaceAll('WDJB-MJHT', '…'));
    expect(JSON.parse(readFileSync(screen('answer.json'), 'utf8'))).toMatchObject({ scope: 'openid profile', token_type: 'bearer' });
  }, 30_000);

  it('"Let AI agents register themselves": POST /register with no token', async () => {
    const [block] = shellBlocks(PAGE, '### Let AI agents register themselves');
    const stdout = await follow(block);
    expectShown(stdout, block, here);
  });

  it('"Sessions": two logins, the list, ending the phone’s session, then all the others', async () => {
    const [block] = shellBlocks(PAGE, '## Sessions: where you are logged in');
    const stdout = await follow(block);
    expectShown(stdout, block);
    expect(stdout).toContain('"createdUserAgent":"Phone"');
  });

  it('"Two-factor authentication": enable, confirm with the app’s code, then a login in two steps', async () => {
    const [enable, login] = shellBlocks(PAGE, '## Two-factor authentication (TOTP)');
    const stdout = await follow(
      typed(`${enable}\n${login}`, [
        // The person scans the QR code: the authenticator keeps the secret.
        [`-d '{"password":"correct-horse"}'\n`, `-d '{"password":"correct-horse"}' | tee totp.json\n`],
        // …and types the code it shows.
        [`-d '{"code":"492039"}'`, `-d '{"code":"'"$(totp)"'"}'`],
        // The person copies the mfa_token of the 403…
        [
          `curl -s -X POST http://127.0.0.1:3000/auth/token -d 'username=dave&password=correct-horse'\n`,
          `curl -s -X POST http://127.0.0.1:3000/auth/token -d 'username=dave&password=correct-horse' | tee mfa.json\nMFA_TOKEN=$(node -p 'require("./mfa.json").mfa_token')\n`,
        ],
        // …and types it with the code of the moment.
        ['mfa_token=Vx3…&otp=731950', `mfa_token='"$MFA_TOKEN"'&otp='"$(totp)"'`],
      ]),
    );
    // The mfa_token is new each time: the page's example stands for any.
    expectShown(stdout, `${enable}\n${login}`, (line) => here(line).replaceAll('Vx3…', '…'));
  });

  it('"E-mail and password reset": an address, verified with the mailed link; a reset with the mailed token', async () => {
    const [block] = shellBlocks(PAGE, '## E-mail and password reset');
    const stdout = await follow(
      typed(block, [
        // The person opens the verification mail to the new address…
        ['…the token of the link…', `'"$(mail_token /verify-email carol@example.org)"'`],
        // …and, later, the reset mail.
        [`{"token":"…","newPassword"`, `{"token":"'"$(mail_token /reset-password carol@example.org)"'","newPassword"`],
      ]),
    );
    expectShown(stdout, block, here);
    // "…and a notice is mailed", after the two mails the person opened.
    const subjectsTo = (address: string) => smtp.received.filter((mail) => mail.to.includes(address)).map((mail) => mail.parsed.subject);
    await vi.waitFor(() => expect(subjectsTo('carol@example.org')).toEqual(['Confirm your e-mail address', 'Reset your password', 'Your password was reset']), { timeout: 5000 });
    const login = await request(server.baseUrl).post('/auth/token').type('form').send({ username: 'carol', password: 'quince-harbour-violin' });
    expect(login.status).toBe(200);
  });

  it('"Password policy": a common password, one with the username, a short one, then a long plain phrase', async () => {
    const [block] = shellBlocks(PAGE, '## Password policy');
    const offline = block.slice(0, block.indexOf('# With PASSWORD_BREACH_CHECK=hibp'));
    const stdout = await follow(offline);
    expectShown(stdout, offline);
    expect(stdout).toMatch(/"username":"bob","role":"user"/);
  });
});
