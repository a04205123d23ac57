import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Server as NetServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type INestApplication, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';

/** After the drain, the listener stays open this long at most while connections the kernel already queued are taken in. */
const ACCEPT_QUEUE_LIMIT_MS = 1_000;
const TICK_MS = 50;
/** Idle kept-alive connections are closed once no request has been in flight for this long. */
const QUIET_PERIOD_MS = 250;

/** Where the service is in its life: readiness answers 200 only while `serving`. */
export type LifecycleState = 'serving' | 'draining' | 'stopping';

/**
 * The graceful stop. On SIGTERM (or SIGINT) the service
 *
 * 1. is no longer ready at once (GET /health/ready answers 503, so a load
 *    balancer or Kubernetes takes it out of rotation), and every response from
 *    then on carries `Connection: close` (RFC 9112 §9.6), so a kept-alive
 *    client opens its next request elsewhere instead of finding the
 *    connection gone;
 * 2. keeps taking and serving new connections for SHUTDOWN_DRAIN, the time a
 *    balancer needs to notice;
 * 3. stops listening, once the connections the kernel had already queued are
 *    taken in (closing a listener resets those), and lets every request in
 *    flight finish; idle kept-alive connections are closed once it is quiet;
 * 4. only then closes the app: Nest's hooks flush the queued work (the audit
 *    trail's pending rows, mail under way, back-channel logout deliveries in
 *    progress; undelivered logout rows stay in their outbox table) and close
 *    Redis and the database;
 * 5. exits 0. Whatever is still open at SHUTDOWN_TIMEOUT is cut, and it exits 1.
 *
 * Nest's enableShutdownHooks is not used: it runs the destroy hooks, which
 * flush the queues and close the database, before it closes the HTTP server,
 * so requests still in flight would fail or queue work after the flush.
 * Fastify's own close is told not to answer 503 (see createAdapter).
 */
@Injectable()
export class ShutdownService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Shutdown');
  private current: LifecycleState = 'serving';
  private connections = 0;
  private inFlight = 0;
  private lastActivity = Date.now();
  private watching = false;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(APP_CONFIGURATION) private readonly config: AppConfiguration,
  ) {}

  get state(): LifecycleState {
    return this.current;
  }

  /** Counts connections and requests on the HTTP server, and marks responses `Connection: close` once stopping has begun. */
  onApplicationBootstrap(): void {
    if (this.watching) return;
    this.watching = true;
    const server = this.server();
    server.on('connection', () => this.connections++);
    server.prependListener('request', (_request: IncomingMessage, response: ServerResponse) => {
      this.inFlight++;
      if (this.current !== 'serving') response.setHeader('Connection', 'close');
      response.once('close', () => {
        this.inFlight--;
        this.lastActivity = Date.now();
      });
    });
  }

  /** Stops gracefully on the first of these signals; another one while stopping changes nothing. */
  stopOnSignals(app: INestApplication, signals: NodeJS.Signals[] = ['SIGTERM', 'SIGINT']): void {
    let stopping: Promise<void> | null = null;
    const onSignal = (signal: NodeJS.Signals) => {
      stopping ??= this.stop(app, signal).then(
        () => process.exit(0),
        (error: Error) => {
          this.logger.error(`stopping failed: ${error.stack ?? error.message}`);
          process.exit(1);
        },
      );
    };
    for (const signal of signals) process.on(signal, onSignal);
  }

  /** The whole stop (see the class), resolved once the app is closed; the process is left to the caller. */
  async stop(app: INestApplication, reason: string): Promise<void> {
    if (this.current !== 'serving') return;
    this.current = 'draining';
    const { shutdownDrainSeconds, shutdownTimeoutSeconds } = this.config.http;
    this.logger.log(`${reason}: not ready; serving new connections for ${shutdownDrainSeconds} s (SHUTDOWN_DRAIN), then finishing in-flight requests and stopping`);
    const deadline = setTimeout(() => this.cut(), shutdownTimeoutSeconds * 1000);
    deadline.unref();
    await sleep(shutdownDrainSeconds * 1000);
    this.current = 'stopping';
    await this.closeListener();
    this.logger.log(`stopped listening; ${this.inFlight} requests in flight`);
    await app.close();
    clearTimeout(deadline);
    this.logger.log('stopped');
  }

  /** Waits until two ticks bring no new connection (bounded), then closes the listener, and the connections as they go quiet. */
  private async closeListener(): Promise<void> {
    const server = this.server();
    const queueDeadline = Date.now() + ACCEPT_QUEUE_LIMIT_MS;
    for (let quietTicks = 0; quietTicks < 2 && Date.now() < queueDeadline; ) {
      const before = this.connections;
      await sleep(TICK_MS);
      quietTicks = this.connections === before ? quietTicks + 1 : 0;
    }
    // net's close, not http's: since Node 19 http.Server#close also destroys every idle connection at once, even one whose request is on its way.
    const closed = new Promise<void>((resolve) => NetServer.prototype.close.call(server, () => resolve()));
    const sweeper = setInterval(() => {
      if (this.inFlight === 0 && Date.now() - this.lastActivity >= QUIET_PERIOD_MS) server.closeIdleConnections();
    }, TICK_MS);
    try {
      await closed;
    } finally {
      clearInterval(sweeper);
    }
  }

  /** SHUTDOWN_TIMEOUT: what is still open is cut, and the process leaves with 1 (the stop was not clean). */
  private cut(): void {
    this.logger.error(`SHUTDOWN_TIMEOUT (${this.config.http.shutdownTimeoutSeconds} s) reached with ${this.inFlight} requests in flight: closing every connection and exiting`);
    this.server().closeAllConnections();
    process.exit(1);
  }

  private server(): Server {
    return this.adapterHost.httpAdapter.getHttpServer() as Server;
  }
}
