import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import type { FastifyInstance } from 'fastify';
import type { LogLevel } from '../config/configuration.js';

/** Secrets never reach a log line, whichever logger writes it. */
const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["proxy-authorization"]',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.access_token',
  '*.refresh_token',
  '*.token',
];

/**
 * An error as a log line may carry it: type, message, code and stack. Never
 * its other fields: a TypeORM QueryFailedError holds the SQL and its
 * parameters (token hashes, password hashes), and the driver's error the
 * values of the row (PostgreSQL's `detail`).
 */
export function serializeError(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  const code = (error as { code?: unknown }).code;
  return { type: error.constructor.name, message: error.message, ...(typeof code === 'string' ? { code } : {}), stack: error.stack };
}

/**
 * Log lines are written to stdout in batches of about this many bytes, not
 * one write per line (sonic-boom writes at most 16 KB at once).
 */
const BATCH_BYTES = 12 * 1024;

/** A line waits at most this long for its batch to fill. */
const FLUSH_INTERVAL_MS = 1000;

/**
 * stdout written asynchronously in batches (pino's answer for throughput: one
 * write per 12 KB, not per request), and at least every second, so a quiet
 * service's lines are not held back. pino flushes such a destination
 * synchronously when the process exits — a graceful shutdown, process.exit or
 * a fatal error — so no line is lost but on SIGKILL (test/server-process).
 */
function batchedStdout(): DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: BATCH_BYTES, periodicFlush: FLUSH_INTERVAL_MS });
}

/**
 * On a terminal, lines a person reads (pino-pretty, loaded only there; JSON
 * everywhere else), written synchronously: none is held back, none lost at exit.
 */
function prettyStdout(): DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  return pretty({
    destination: 1,
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    messageFormat: '{if context}[{context}] {end}{msg}',
  });
}

function standardOutput(level: LogLevel): DestinationStream {
  if (level === 'silent') return pino.destination(1);
  return process.stdout.isTTY ? prettyStdout() : batchedStdout();
}

export function createLogger(level: LogLevel, destination: DestinationStream = standardOutput(level)): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, serializers: { err: serializeError } }, destination);
}

/**
 * A request's line by its status: a server error is `error`; a client error
 * `warn`, but for 401, which every client meets in its ordinary course (no
 * token yet, an expired one it is about to refresh, RFC 6750 section 3.1) and
 * would drown the warnings: `info`, like a success.
 */
export function requestLogLevel(status: number): 'error' | 'warn' | 'info' {
  if (status >= 500) return 'error';
  return status >= 400 && status !== 401 ? 'warn' : 'info';
}

/**
 * One JSON line per request, when it completes: id, method, path (the query
 * string is left out, it is where careless clients put secrets), client
 * address, status and time. Bodies and headers are never logged.
 */
export function logRequests(fastify: FastifyInstance, logger: Logger): void {
  // The line is built here from fields that carry no secret, so it skips the
  // redaction paths: they walked every request line (7 % of GET /'s CPU).
  const requestLogger = logger.child({}, { redact: [] });
  fastify.addHook('onResponse', (request, reply, done) => {
    const status = reply.statusCode;
    const level = requestLogLevel(status);
    requestLogger[level](
      {
        req: {
          id: request.id,
          method: request.method,
          path: request.url.split('?')[0],
          remoteAddress: request.ip,
          userAgent: request.headers['user-agent'],
        },
        res: { statusCode: status },
        responseTime: Math.round(reply.elapsedTime),
      },
      'request completed',
    );
    done();
  });
}
