import { STATUS_CODES } from 'node:http';
import { Catch, HttpException, Logger, type ArgumentsHost } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorHeaders, HttpErrorsFilter, toHttpException } from '../http/http-errors.filter.js';
import { isHostedPage } from './hosted-page.decorator.js';
import { PageRenderer, type ErrorPage } from './page-renderer.js';

/** What a 500 page says: never the error itself. */
export const UNEXPECTED_ERROR = 'Something went wrong on our side. Try again in a moment.';

/** The message of an HttpException's body: its `message` (a list joined one to a line), else its `error_description`. */
export function messageOf(exception: HttpException): string {
  const body = exception.getResponse() as string | { message?: unknown; error_description?: unknown };
  if (typeof body === 'string') return body;
  const message = Array.isArray(body.message) ? body.message.join('\n') : body.message ?? body.error_description;
  return typeof message === 'string' && message ? message : (STATUS_CODES[exception.getStatus()] ?? 'Error');
}

/** A client error Fastify raised before Nest (a body it cannot parse, too large, of another type): its status, with the status's own words. */
function clientErrorStatus(exception: unknown): number | null {
  const status = (exception as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : null;
}

/**
 * The app's one error filter (APP_FILTER): a request for a hosted page
 * (@HostedPage()) gets its error as an HTML page, error.eta, with the status
 * and the headers the API would send (Retry-After on 429 and 503, the
 * challenges on 401); every other request gets the JSON of HttpErrorsFilter.
 * The message shown is the one the JSON would carry, escaped by the template;
 * a 500 says nothing of its cause, which is logged.
 */
@Catch()
export class PageOrApiErrorsFilter extends HttpErrorsFilter {
  private readonly logger = new Logger('ExceptionsHandler');

  constructor(private readonly pages: PageRenderer) {
    super();
  }

  override catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    if (!isHostedPage(http.getRequest<FastifyRequest>())) return super.catch(exception, host);
    const reply = http.getResponse<FastifyReply>();
    if (reply.sent) return;
    const translated = toHttpException(exception);
    reply.headers(errorHeaders(exception, translated));
    this.pages.renderError(reply, this.pageOf(exception, translated)).catch((error: unknown) => {
      this.logger.error(error);
      if (!reply.sent) reply.status(500).type('text/plain; charset=utf-8').send(UNEXPECTED_ERROR);
    });
  }

  private pageOf(exception: unknown, translated: unknown): ErrorPage {
    if (translated instanceof HttpException && translated.getStatus() !== 500) return { status: translated.getStatus(), message: messageOf(translated) };
    const status = clientErrorStatus(exception);
    if (status !== null) return { status, message: STATUS_CODES[status] ?? 'Bad Request' };
    this.logger.error(exception);
    return { status: 500, message: UNEXPECTED_ERROR };
  }
}
