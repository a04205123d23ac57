import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';

/**
 * Nest's start-up detail: a line per module and per route (about 200 in all),
 * written before the line that says where the service listens, which it would
 * bury. At `debug` (LOG_LEVEL=debug shows them); "Nest application
 * successfully started" stays at `info`.
 */
const STARTUP_DETAIL = new Set(['NestFactory', 'InstanceLoader', 'RoutesResolver', 'RouterExplorer']);

/**
 * Nest logs a failed listen ("Error: listen EADDRINUSE …") before it rejects;
 * listen() (src/http/listen.ts) turns the rejection into the one line that
 * names PORT or HOST, or rethrows what it does not know, so this line only
 * repeats it.
 */
function isListenError(message: unknown, rest: unknown[]): boolean {
  return rest.at(-1) === 'NestApplication' && typeof message === 'string' && /^Error: listen E[A-Z]+/.test(message);
}

/**
 * Nest's own messages (start-up, errors caught by the exception filter) as
 * pino JSON lines, beside the request log. Not nestjs-pino, though it now fits
 * (Node 22+, NestJS 12): it logs requests through pino-http, a middleware that
 * gives every request a child logger, runs it in AsyncLocalStorage and writes
 * its line through the serializers and redaction paths, which is the cost
 * logRequests() was cut down to avoid (docs/operations.md, Performance, step 4).
 */
export class PinoLoggerService implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]) {
    this.write(STARTUP_DETAIL.has(String(rest.at(-1))) ? 'debug' : 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]) {
    if (isListenError(message, rest)) return;
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]) {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]) {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]) {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]) {
    this.write('fatal', message, rest);
  }

  /** Nest passes (message, [stack,] context): the context is the last string. */
  private write(level: Level, message: unknown, rest: unknown[]) {
    const context = typeof rest.at(-1) === 'string' ? (rest.pop() as string) : undefined;
    const stack = typeof rest[0] === 'string' ? rest[0] : undefined;
    if (message instanceof Error) this.logger[level]({ context, err: message }, message.message);
    else if (typeof message === 'object' && message !== null) this.logger[level]({ context, ...message });
    else this.logger[level]({ context, ...(stack ? { stack } : {}) }, String(message));
  }
}
