import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { makePrivateFolder } from '../config/private-files.js';
import { MailTemplates, type MailTemplateName, type MailValues } from './mail-templates.js';

/** One message to send: a template, its values, and whom it concerns (for the log line; never the address or a token). */
export interface OutgoingMail<Name extends MailTemplateName> {
  to: string;
  template: Name;
  values: MailValues<Name>;
  /** Such as "user 12": what log lines about this message name. */
  concerning: string;
}

/** An SMTP server that does not answer must not hold a delivery (and a shutdown) for minutes. */
const SMTP_TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/**
 * Sends the service's mail: over SMTP (nodemailer, SMTP_URL), or, without
 * SMTP_URL, into `<data folder>/outbox/` as .eml files (private to the
 * service's user, like the rest of the data folder), so a reset can be
 * finished with no mail server at all. Never in production: configuration
 * refuses that. A message is sent in the background: `send` returns at once
 * and never throws, so a slow or failing mail server costs the client who
 * asked nothing, neither time nor an error. A failed try is retried
 * (MAIL_SEND_ATTEMPTS, waiting MAIL_RETRY_DELAY, doubled each time) and
 * every failure is logged.
 */
@Injectable()
export class MailService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly templates = new MailTemplates();
  private readonly transport: Transporter;
  private readonly deliveries = new Set<Promise<void>>();
  /** Aborted at shutdown: waits between tries end, and no further try starts. */
  private readonly shutdown = new AbortController();

  constructor(@Inject(APP_CONFIGURATION) private readonly config: AppConfiguration) {
    const { smtpUrl } = config.mail;
    this.transport = smtpUrl
      ? nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS, logger: false, disableFileAccess: true, disableUrlAccess: true })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /** Queues a message and returns at once; its fate is logged. */
  send<Name extends MailTemplateName>(mail: OutgoingMail<Name>): void {
    const message: SendMailOptions = { from: this.config.mail.from, to: mail.to, ...this.templates.render(mail.template, mail.values) };
    const delivery = this.deliver(message, `the ${mail.template} mail for ${mail.concerning}`).finally(() => this.deliveries.delete(delivery));
    this.deliveries.add(delivery);
  }

  /** Resolves once every queued message is delivered or given up. */
  async settled(): Promise<void> {
    await Promise.all([...this.deliveries]);
  }

  /** Messages under way get their current try; none waits for another (the SMTP timeouts bound the wait). */
  async beforeApplicationShutdown(): Promise<void> {
    this.shutdown.abort();
    await this.settled();
    this.transport.close();
  }

  private async deliver(message: SendMailOptions, what: string): Promise<void> {
    const { sendAttempts, retryDelaySeconds } = this.config.mail;
    for (let attempt = 1; attempt <= sendAttempts; attempt++) {
      try {
        await this.sendOnce(message, what);
        return;
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (attempt === sendAttempts || this.shutdown.signal.aborted) {
          this.logger.error(`${what} was not sent: ${attempt} of ${sendAttempts} tries failed, the last with: ${reason}`);
          return;
        }
        this.logger.warn(`${what}: try ${attempt} of ${sendAttempts} failed (${reason}); trying again`);
        if (!(await this.wait(retryDelaySeconds * 1000 * 2 ** (attempt - 1)))) {
          this.logger.error(`${what} was not sent: the service stopped after ${attempt} of ${sendAttempts} tries`);
          return;
        }
      }
    }
  }

  private async sendOnce(message: SendMailOptions, what: string): Promise<void> {
    const sent = await this.transport.sendMail(message);
    if (this.config.mail.smtpUrl) {
      this.logger.log(`${what} was sent (${sent.messageId})`);
      return;
    }
    // The message whole, for a mail client; and its text alone, since the .eml wraps long lines (the links) as quoted-printable.
    const { outboxDirectory } = this.config.mail;
    makePrivateFolder(outboxDirectory);
    const name = join(outboxDirectory, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomBytes(4).toString('hex')}`);
    await writeFile(`${name}.eml`, sent.message as Buffer, { mode: 0o600, flag: 'wx' });
    await writeFile(`${name}.txt`, `Subject: ${message.subject}\n\n${message.text}`, { mode: 0o600, flag: 'wx' });
    this.logger.log(`no SMTP_URL: ${what} was written to ${name}.eml (its text: ${name}.txt)`);
  }

  /** False when the service is stopping instead. */
  private async wait(milliseconds: number): Promise<boolean> {
    try {
      await sleep(milliseconds, undefined, { signal: this.shutdown.signal });
      return true;
    } catch {
      return false;
    }
  }
}
