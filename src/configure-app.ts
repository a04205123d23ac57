import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
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
import { DOCS_CLIENT_ID, docsRedirectUri } from './oauth/clients/docs-client.service.js';
import { TokenEndpointService } from './oauth/grants/token-endpoint.service.js';
import { TOKEN_OPERATION_ID } from './oauth/token-endpoint.controller.js';
import { GATEHOUSE_API_SCOPE } from './access/principal.js';
import { PERSON_SCOPES, SCOPE_DESCRIPTIONS } from './oauth/grants/scopes.js';
import type { GrantHandler } from './oauth/grants/grant-handler.js';
import { configurePages } from './pages/configure-pages.js';
import { answerCorsFromAnyOrigin } from './http/any-origin-cors.js';
import { anyOriginRoutes } from './oauth/any-origin-routes.js';

/** Small on purpose: no request to an auth API needs more. Larger bodies get 413. */
const BODY_LIMIT_BYTES = 16 * 1024;

/** Every method the API uses: a browser client on an allowed origin can change a password and manage users. */
const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** Headers a browser client may read on a cross-origin response. */
const EXPOSED_HEADERS = ['X-Request-Id', 'WWW-Authenticate', 'Retry-After'];

/** Tags in the order a person meets them in Swagger UI, each with what it holds. */
const DOCS_TAGS: [name: string, description: string][] = [
  ['auth', 'Register, log in (the OAuth2 token endpoint), refresh, log out; the signed-in account and its password; introspection for services.'],
  ['openid', 'OpenID Connect for applications: the UserInfo endpoint, the claims about the signed-in person that a token issued with openid releases.'],
  ['sessions', 'Where you are logged in: your sessions (one per login), and ending one or all the others.'],
  ['two-factor', 'TOTP two-factor authentication: enrol (secret and QR code), turn on with a first code, turn off. The login with it is POST /auth/token.'],
  ['passkeys', 'Passkeys (WebAuthn): add one (after a recent sign-in, or with the password), list, rename, remove; sign-in options. The sign-in itself is POST /auth/token (the passkey grant) or the hosted login page.'],
  ['e-mail', 'Your e-mail address: set or change it (with the password), and verify it with the mailed link or code.'],
  ['password-reset', 'A forgotten password: ask for a mailed link (the same answer for every name), then set a new password with its token.'],
  ['greeting', 'Routes to try a token or Basic credentials on; one is for admins only.'],
  ['users', 'Account management, for admins: list accounts, change a role, end their sessions, delete.'],
  ['clients', 'The OAuth client registry, for admins: register applications (RFC 7591 metadata), change them, rotate their secrets, delete them.'],
  ['keys', 'The signing keys, for admins: list, rotate, revoke.'],
  ['audit', 'The audit trail, for admins: security events, newest first, filtered and paginated.'],
  ['well-known', 'The public keys (JWKS) and the discovery metadata, for services that verify the tokens.'],
  ['health', 'Whether the service and its database (and Redis) answer.'],
];

/** The version in package.json: the nearest one above this file (src/ in the tests, dist/src/ when built). */
function packageVersion(): string {
  for (let folder = dirname(fileURLToPath(import.meta.url)); ; folder = dirname(folder)) {
    const file = join(folder, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(folder) === folder) return '0.0.0';
  }
}

/**
 * Browser code, run by Swagger UI once it has rendered (onComplete; @nestjs/swagger writes
 * functions into swagger-ui-init.js, a file the Content-Security-Policy allows). Swagger UI
 * focuses the last form of the Authorize dialog, Basic, which scrolls the OAuth2 form the page
 * recommends out of sight: this focuses the OAuth2 username whenever the dialog opens; and it
 * points the code flow's redirect at /docs/oauth2-redirect.html when PUBLIC_URL did not. A string
 * made a function, since this code is the browser's, not Node's.
 */
const FOCUS_OAUTH2_FORM_AND_REDIRECT = new Function(`
  // Without PUBLIC_URL, Swagger UI's own default would send the code flow back to /oauth2-redirect.html
  // (the folder of /docs); the page, and gatehouse-docs' redirect, is /docs/oauth2-redirect.html.
  function redirectToDocs() {
    var configs = window.ui && window.ui.getConfigs && window.ui.getConfigs();
    var page = location.origin + '/docs/oauth2-redirect.html';
    if (configs && !/\\/docs\\/oauth2-redirect\\.html$/.test(configs.oauth2RedirectUrl || '')) configs.oauth2RedirectUrl = page;
  }
  redirectToDocs();
  new MutationObserver(function () {
    redirectToDocs();
    var username = document.querySelector('.modal-ux #oauth_username');
    if (username && !username.dataset.focused) {
      username.dataset.focused = 'yes';
      username.focus();
    }
  }).observe(document.body, { childList: true, subtree: true });
`);

/**
 * One request of a grant, for Swagger UI's Try it out: its grant_type and the
 * fields it requires, from the examples of its parameters. The examples are
 * then taken off the fields: Swagger UI fills a form from them, every grant's
 * fields at once (an `otp`, an `mfa_token`, a fake `refresh_token` in one
 * request); the body's `examples` (one per grant) replace them.
 */
function grantExample(document: OpenAPIObject, handler: GrantHandler): { summary: string; value: Record<string, unknown> } {
  const parameters = document.components?.schemas?.[handler.parameters.name] as { properties?: Record<string, { example?: unknown }>; required?: string[] } | undefined;
  const value: Record<string, unknown> = { grant_type: handler.grantType };
  // The fields it requires, and those its summary names (`redirect_uri`), but not the alternatives and optional ones in brackets.
  const named = [...handler.summary.replace(/\((or |[^)]*optional)[^)]*\)/g, '').matchAll(/`([a-z_]+)`/g)].map((match) => match[1]);
  for (const field of [...(parameters?.required ?? []), ...named]) {
    const example = parameters?.properties?.[field]?.example;
    if (example !== undefined) value[field] ??= example;
  }
  return { summary: handler.summary, value };
}

/**
 * The token endpoint as its registered grants make it: one request body per
 * grant (oneOf), and a line per grant in the description. Derived here, from
 * TokenEndpointService, so a new grant documents itself.
 */
function describeGrants(document: OpenAPIObject, tokenEndpoint: TokenEndpointService): void {
  const operation = Object.values(document.paths)
    .flatMap((path) => Object.values(path))
    .find((candidate) => (candidate as { operationId?: string }).operationId === TOKEN_OPERATION_ID) as { description?: string; requestBody?: { content: Record<string, { schema: unknown }> } } | undefined;
  if (!operation?.requestBody) return;
  const handlers = tokenEndpoint.enabledHandlers();
  const schema = { oneOf: handlers.map((handler) => ({ $ref: `#/components/schemas/${handler.parameters.name}` })) };
  const examples = Object.fromEntries(handlers.map((handler) => [handler.parameters.name.replace(/Dto$/, ''), grantExample(document, handler)]));
  for (const media of Object.values(operation.requestBody.content) as Array<{ schema: unknown; examples?: unknown }>) {
    media.schema = schema;
    media.examples = examples;
  }
  for (const handler of handlers) {
    const parameters = document.components?.schemas?.[handler.parameters.name] as { properties?: Record<string, { example?: unknown }> } | undefined;
    for (const property of Object.values(parameters?.properties ?? {})) delete property.example;
  }
  operation.description = `Grants:\n${handlers.map((handler) => `- ${handler.summary}`).join('\n')}\n\n${operation.description ?? ''}`;
}

function setUpSwagger(app: NestFastifyApplication, config: AppConfiguration): void {
  const docs = config.docs;
  // The Authorize dialog lists the scopes discovery's scopes_supported names, with the consent page's words.
  const scopes = Object.fromEntries([...PERSON_SCOPES, GATEHOUSE_API_SCOPE].map((scope) => [scope, SCOPE_DESCRIPTIONS[scope]]));
  const flows: Record<string, unknown> = {
    authorizationCode: { authorizationUrl: '/authorize', tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes },
  };
  if (config.oauth.passwordGrant) flows.password = { tokenUrl: '/auth/token', refreshUrl: '/auth/token', scopes };
  const builder = new DocumentBuilder()
    .setTitle('Gatehouse')
    .setDescription(
      'An authentication API and OAuth 2.1 authorization server: register, sign in through the hosted login page (authorization code flow with PKCE), call protected routes with Bearer or Basic.\n\n' +
        `Click **Authorize**, tick the scopes (\`${GATEHOUSE_API_SCOPE}\` lets the token act on this API), and sign in with the authorization code flow: Swagger UI opens Gatehouse's login page (client \`${DOCS_CLIENT_ID}\`, PKCE). ` +
        'Or log in through the password form (first-party, while PASSWORD_GRANT is on), or give a Bearer token or Basic credentials.',
    )
    .setVersion(packageVersion())
    // The Authorize dialog lists the schemes in this order: the one the description recommends first.
    .addOAuth2(
      {
        type: 'oauth2',
        description: `The authorization code flow with PKCE through Gatehouse's login page (client_id \`${DOCS_CLIENT_ID}\`, no secret); or the password form. Swagger UI sends the token it gets with every request.`,
        flows,
      },
      'oauth2',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addBasicAuth({ type: 'http', scheme: 'basic' }, 'basic');
  for (const [name, description] of DOCS_TAGS) builder.addTag(name, description);
  const tokenEndpoint = app.get(TokenEndpointService);
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: tokenEndpoint.enabledHandlers().map((handler) => handler.parameters) });
  describeGrants(document, tokenEndpoint);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: 'docs-json',
    customSiteTitle: 'Gatehouse API',
    // Kept across reloads in localStorage, Basic and OAuth2 passwords and tokens included, in plain text: off in production unless asked for.
    swaggerOptions: {
      persistAuthorization: docs.persistAuthorization,
      onComplete: FOCUS_OAUTH2_FORM_AND_REDIRECT,
      // The redirect registered for gatehouse-docs (DocsClientService); with PORT=0 and no PUBLIC_URL, the browser's origin (above).
      ...(config.publicUrlAwaitsPort ? {} : { oauth2RedirectUrl: docsRedirectUri(config.publicUrl) }),
      initOAuth: { clientId: DOCS_CLIENT_ID, usePkceWithAuthorizationCodeGrant: true, scopes: ['openid', GATEHOUSE_API_SCOPE] },
    },
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
    // ShutdownService closes the listener and lets requests finish before the app (and so Fastify) closes: a request
    // that still arrives then is served, not refused with Fastify's 503, and idle kept-alive connections are closed.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
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
  app.flushLogs();
  const fastify = app.getHttpAdapter().getInstance();
  echoRequestId(fastify);
  logRequests(fastify, logger);
  setUpMetrics(app, config);
  checkRequestBodies(app, BODY_LIMIT_BYTES);
  app.getHttpServer().maxConnections = config.http.maxConnections;

  sendSecurityHeaders(fastify);
  answerCorsFromAnyOrigin(fastify, anyOriginRoutes(config.clients.registration));
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, methods: CORS_METHODS, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });
  }
  if (config.docs.enabled) setUpSwagger(app, config);
}

/**
 * The app as main.ts runs it and the e2e tests boot it, from a configuration
 * read once (loadConfiguration). An error while the modules start is thrown,
 * not logged: main.ts prints a StartupError as its one line.
 */
export async function createApp(config: AppConfiguration): Promise<NestFastifyApplication> {
  const logger = createLogger(config.logLevel);
  // Start-up messages wait for the logger that configureFastify installs, and are dropped if
  // start-up fails (autoFlushLogs off): Nest would print them, and the error's stack, through
  // its own console logger.
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), createAdapter(config, logger), {
    bufferLogs: true,
    autoFlushLogs: false,
    abortOnError: false,
  });
  configureFastify(app, config, logger);
  await configurePages(app, config);
  return app;
}

/** Resolves once the log lines written so far are out: they go to stdout in batches. */
export function logsWritten(app: NestFastifyApplication): Promise<void> {
  const logger = app.getHttpAdapter().getInstance().log as Logger;
  return new Promise((resolve) => logger.flush(() => resolve()));
}
