import { STATUS_CODES } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
// Their declarations add reply.viewAsync and reply.generateCsrf.
import type {} from '@fastify/view';
import type {} from '@fastify/csrf-protection';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { pageHeaders, type PageSources } from './page-headers.js';
import { PageTemplates } from './page-templates.js';

export interface PageOptions extends PageSources {
  /** 200 unless said: a form shown again with an error is a 400, a refusal its own status. */
  status?: number;
}

/** What an error page shows: the status and a message for a person (escaped like every value; never a stack, SQL or secret). */
export interface ErrorPage {
  status: number;
  message: string;
}

/** The heading of an error page, per status. */
const ERROR_TITLES: Record<number, string> = {
  400: 'This request cannot be completed',
  403: 'This request was refused',
  404: 'Page not found',
  413: 'Too much data',
  429: 'Too many attempts',
  500: 'Something went wrong',
  503: 'Temporarily unavailable',
};

/**
 * Renders the hosted pages: every page controller, and the error filter,
 * answers through it, so every page gets the same headers (its own CSP,
 * no-store, no framing, no Referer) and the same context: the brand, the
 * stylesheet, the language, and a CSRF token for its forms (`it.csrfToken`,
 * written by the `hidden-fields` partial as `_csrf`).
 */
@Injectable()
export class PageRenderer {
  private readonly common: Record<string, unknown>;
  private readonly brandImages: string[];

  constructor(
    private readonly templates: PageTemplates,
    @Inject(APP_CONFIGURATION) config: AppConfiguration,
  ) {
    const { name, logoUrl } = config.pages.brand;
    this.common = { brand: { name, logoUrl }, stylesheet: templates.stylesheet.path, passkeyScript: templates.passkeyScript.path, accountScript: templates.accountScript.path, lang: 'en' };
    this.brandImages = logoUrl ? [logoUrl] : [];
  }

  /**
   * Sends `template` (a name in templates/ or PAGES_TEMPLATES_DIR) with
   * `data` as `it` (page-data.ts says what each template takes).
   * `formActions` and `imageSources` widen the page's policy (the client's
   * redirect URI, the client's logo). The reply is sent: a controller that
   * renders takes the reply with `@Res()` and returns this.
   */
  async render(reply: FastifyReply, template: string, data: object = {}, options: PageOptions = {}): Promise<void> {
    // The CSRF secret goes in a cookie the first time (@fastify/csrf-protection); the token, tied to it, in the page's forms.
    await this.send(reply, template, { csrfToken: reply.generateCsrf(), ...data }, options);
  }

  /** The error page: its status, a heading for it, and the message. No form, so no CSRF cookie. */
  async renderError(reply: FastifyReply, { status, message }: ErrorPage): Promise<void> {
    const title = ERROR_TITLES[status] ?? STATUS_CODES[status] ?? 'Error';
    await this.send(reply, 'error', { status, title, message }, { status });
  }

  private async send(reply: FastifyReply, template: string, data: object, { status = 200, formActions, imageSources = [], scripts }: PageOptions): Promise<void> {
    const html = await reply.viewAsync(template, { ...this.common, ...data });
    const headers = pageHeaders({ formActions, imageSources: [...this.brandImages, ...imageSources], scripts });
    reply.status(status).headers(headers).send(html);
  }
}
