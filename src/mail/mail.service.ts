import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown } from '@nestjs/common';
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { emailKey } from '../account-rules/account-rules.js';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { makePrivateFolder } from '../config/private-files.js';
import type { RequestContext } from '../http/request-context.js';
import { TooManyRequestsException } from '../http/too-many-requests.exception.js';
import { RateLimitsService } from '../throttle/rate-limits.service.js';
import { MailTemplates, type MailTemplateName, type MailValues } from './mail-templates.js';

/** A template and its values. */
export type MailContent = { [Name in MailTemplateName]: { template: Name; values: MailValues<Name> } }[MailTemplateName];

/** One message to send: to whom, whom it concerns (for the log line; never the address or a token), and what. */
export interface OutgoingMail {
  to: string;
  /** Such as "user 12": what log lines about this message name. */
  concerning: string;
  /**
   * The message, made only once the address's limit let it go: a token that
   * a mail carries is issued only for a mail that is sent (a newer one voids
   * the older, so it must never void one for nothing).
   */
  content: () => MailContent | Promise<MailContent>;
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
 *
 * Every message counts against its recipient's limit (THROTTLE_MAILS per
 * window, per address case-folded, in Redis across instances when
 * REDIS_URL is set), whichever route sends it, so no route (a registration
 * with someone else's address, a change of address, a resend, a reset
 * request, a notice) can flood a mailbox through Gatehouse. Beyond it the
 * message is dropped and logged, never answered: most mail goes to
 * addresses the requester does not own, and an answer that depended on what
 * an address was sent would tell whether it belongs to an account.
 */
@Injectable()
export class MailService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(MailService.name);
  private readonly templates = new MailTemplates();
  private readonly transport: Transporter;
  private readonly deliveries = new Set<Promise<void>>();
  /** Aborted at shutdown: waits between tries end, and no further try starts. */
  private readonly shutdown = new AbortController();

  private readonly mailsByRecipient: RateLimiterAbstract;

  constructor(
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
    private readonly limits: RateLimitsService,
  ) {
    this.mailsByRecipient = limits.limiter('mail_recipient', config.throttle.mailsPerAccount);
    const { smtpUrl } = config.mail;
    this.transport = smtpUrl
      ? nodemailer.createTransport({ url: smtpUrl, ...SMTP_TIMEOUTS, logger: false, disableFileAccess: true, disableUrlAccess: true })
      : nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  }

  /**
   * Counts the message against its address's limit and, within it, makes
   * and queues it: true once queued (its fate is logged), false when the
   * limit dropped it (logged and recorded, nothing made).
   */
  async send(mail: OutgoingMail, request: RequestContext | null): Promise<boolean> {
    const counted = await this.countForRecipient(mail, request);
    if (!counted) return false;
    let content: MailContent;
    try {
      content = await mail.content();
    } catch (error) {
      await this.limits.giveBack(counted);
      throw error;
    }
    const delivery = this.deliver(this.messageOf(mail.to, content), `the ${content.template} mail for ${mail.concerning}`).finally(() => this.deliveries.delete(delivery));
    this.deliveries.add(delivery);
    return true;
  }

  /**
   * One try, awaited: for a caller that keeps the message and retries it
   * itself (the security notices' outbox), so nothing here retries. Counted
   * against the address's limit like every mail (false: the limit dropped
   * it, nothing made); a failed try throws, its count given back.
   */
  async sendNow(mail: OutgoingMail): Promise<boolean> {
    const counted = await this.countForRecipient(mail, null);
    if (!counted) return false;
    try {
      const content = await mail.content();
      await this.sendOnce(this.messageOf(mail.to, content), `the ${content.template} mail for ${mail.concerning}`);
      return true;
    } catch (error) {
      await this.limits.giveBack(counted);
      throw error;
    }
  }

  /** The message counted against its recipient's limit; null (logged) when the limit drops it. */
  private async countForRecipient(mail: OutgoingMail, request: RequestContext | null) {
    try {
      return await this.limits.countAll([[this.mailsByRecipient, `email:${emailKey(mail.to)}`, 'mail-address']], 'Too many mails to this address', request);
    } catch (error) {
      if (!(error instanceof TooManyRequestsException)) throw error;
      this.logger.warn(`a mail for ${mail.concerning} was not sent: ${error.message}`);
      return null;
    }
  }

  private messageOf(to: string, content: MailContent): SendMailOptions {
    return { from: this.config.mail.from, to, ...this.templates.render<MailTemplateName>(content.template, content.values as MailValues<MailTemplateName>) };
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
