import type { Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { INestApplication, LoggerService } from '@nestjs/common';

/** How long in-flight requests get to finish before the process leaves anyway. */
const GRACE_PERIOD_MS = 10_000;
/** The longest the listener stays open after the signal, taking in connections the kernel already queued. */
const DRAIN_LIMIT_MS = 3_000;
const DRAIN_TICK_MS = 50;
/** Idle keep-alive connections are closed once no request has been in flight for this long. */
const QUIET_PERIOD_MS = 500;

/**
 * On SIGTERM or SIGINT: answer every connection and request already accepted
 * (with `Connection: close`), stop listening, and only then close the app and
 * its database connection.
 *
 * Three defaults are in the way. Nest's shutdown hooks close the database
 * before the HTTP server, failing the very requests a graceful stop should
 * finish. Node's `server.close()` at once destroys every connection without a
 * request in progress, including those whose request has not been read yet.
 * And closing the listener resets the connections the kernel has accepted but
 * a busy event loop has not taken in yet (bcrypt keeps it busy). So the
 * listener stays open until two turns of the event loop bring no new
 * connection, then closes with `net`'s plain close, and idle connections are
 * closed only once the server has gone quiet.
 */
export function enableGracefulShutdown(app: INestApplication, logger: LoggerService): void {
  const server = app.getHttpServer() as Server;
  let connections = 0;
  let inFlight = 0;
  let lastActivity = Date.now();
  let shuttingDown = false;

  server.on('connection', () => connections++);
  server.prependListener('request', (_request, response) => {
    inFlight++;
    if (shuttingDown) response.setHeader('Connection', 'close');
    response.once('close', () => {
      inFlight--;
      lastActivity = Date.now();
    });
  });

  const drainAcceptQueue = async () => {
    const deadline = Date.now() + DRAIN_LIMIT_MS;
    let quietTicks = 0;
    while (quietTicks < 2 && Date.now() < deadline) {
      const before = connections;
      await sleep(DRAIN_TICK_MS);
      quietTicks = connections === before ? quietTicks + 1 : 0;
    }
  };

  const shutDown = async (signal: NodeJS.Signals) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.log(`${signal}: finishing in-flight requests, then stopping`, 'Shutdown');
    const forced = setTimeout(() => server.closeAllConnections(), GRACE_PERIOD_MS);
    await drainAcceptQueue();
    const stopped = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    const sweeper = setInterval(() => {
      if (inFlight === 0 && Date.now() - lastActivity >= QUIET_PERIOD_MS) server.closeIdleConnections();
    }, 100);
    await stopped;
    clearInterval(sweeper);
    clearTimeout(forced);
    await app.close();
    process.exit(0);
  };

  process.once('SIGTERM', (signal) => void shutDown(signal));
  process.once('SIGINT', (signal) => void shutDown(signal));
}
