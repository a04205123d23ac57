import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { LogController } from 'fastify';
import type { Logger } from 'pino';
import { AppModule } from './app.module.js';
import type { AppConfiguration } from './config/configuration.js';
import { createLogger, logRequests } from './logging/logger.js';
import { PinoLoggerService } from './logging/pino-logger.service.js';
import { sendSecurityHeaders } from './http/security-headers.js';
import { echoRequestId, requestIdOf } from './http/request-id.js';
import { checkRequestBodies } from './http/request-bodies.js';
import { serveMetrics } from './metrics/metrics-endpoint.js';
import { MetricsService } from './metrics/metrics.service.js';
import { recordRequestDurations } from './metrics/request-durations.js';

/** Small on purpose: no request to an auth API needs more. Larger bodies get 413. */
const BODY_LIMIT_BYTES = 16 * 1024;

/** Every method the API uses: a browser client on an allowed origin can change a password and manage users. */
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Headers a browser client may read on a cross-origin response. */
const EXPOSED_HEADERS = ['X-Request-Id', 'WWW-Authenticate', 'Retry-After'];

function setUpSwagger(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription(
      'An authentication API: register, get a token (OAuth2 password grant), call protected routes with Bearer or Basic.\n\n' +
        'Click **Authorize** and log in through the OAuth2 password form (leave client_id empty), or give a Bearer token or Basic credentials.',
    )
    .setVersion('1.0')
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addBasicAuth({ type: 'http', scheme: 'basic' }, 'basic')
    .addOAuth2({ type: 'oauth2', flows: { password: { tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes: {} } } }, 'oauth2')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Gatehouse API',
    swaggerOptions: { persistAuthorization: true },
  });
}

/**
 * The Fastify adapter: on this machine a bare Nest route serves about seven
 * times the requests per second on Fastify that it does on Express.
 */
function createAdapter(config: AppConfiguration, logger: Logger): FastifyAdapter {
  const { requestTimeoutSeconds, headersTimeoutSeconds, keepAliveTimeoutSeconds } = config.http;
  return new FastifyAdapter({
    // Node's own timeouts, given when the server is created (Fastify sets requestTimeout and
    // keepAliveTimeout again afterwards, so they are passed at both levels); incomplete requests
    // are checked every second rather than every 30.
    http: { requestTimeout: requestTimeoutSeconds * 1000, headersTimeout: headersTimeoutSeconds * 1000, connectionsCheckingInterval: 1000 },
    requestTimeout: requestTimeoutSeconds * 1000,
    keepAliveTimeout: keepAliveTimeoutSeconds * 1000,
    loggerInstance: logger,
    // One line per request comes from logRequests(), not Fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
    genReqId: requestIdOf,
    // Fastify takes a hop count too, though its types leave numbers out.
    trustProxy: config.trustProxy as boolean | string,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
  });
}

/** With METRICS_TOKEN: GET /metrics, and every request observed in the duration histogram. */
function setUpMetrics(app: NestFastifyApplication, config: AppConfiguration): void {
  if (!config.metricsToken) return;
  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  recordRequestDurations(fastify, metrics.requestDuration);
  serveMetrics(fastify, metrics, config.metricsToken);
}

/** What is Fastify's: logging, request ids, metrics, body checks, security headers, CORS, the connection cap, and the docs. */
function configureFastify(app: NestFastifyApplication, config: AppConfiguration, logger: Logger): void {
  app.useLogger(new PinoLoggerService(logger));
  const fastify = app.getHttpAdapter().getInstance();
  echoRequestId(fastify);
  logRequests(fastify, logger);
  setUpMetrics(app, config);
  checkRequestBodies(app, BODY_LIMIT_BYTES);
  app.getHttpServer().maxConnections = config.http.maxConnections;

  sendSecurityHeaders(fastify);
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, methods: CORS_METHODS, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });
  }
  setUpSwagger(app);
}

/** The app as main.ts runs it and the e2e tests boot it, from a configuration read once (loadConfiguration). */
export async function createApp(config: AppConfiguration): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel);
  // Start-up messages wait for the JSON logger that configureFastify installs.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createAdapter(config, logger), { bufferLogs: true });
  configureFastify(app, config, logger);
  return app;
}
