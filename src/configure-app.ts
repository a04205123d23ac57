import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import helmet from 'helmet';
import { appConfiguration, type AppConfig } from './config/configuration.js';
import { HttpErrorsFilter } from './filters/http-errors.filter.js';
import { createLogger, createRequestLogger } from './logging/logger.js';
import { PinoLoggerService } from './logging/pino-logger.service.js';
import { StrictValidationPipe } from './validation/strict-validation.pipe.js';

/** Small on purpose: no request to an auth API needs more. Larger bodies get 413. */
const BODY_LIMIT = '16kb';

/** Headers a browser client may read on a cross-origin response. */
const EXPOSED_HEADERS = ['X-Request-Id', 'WWW-Authenticate', 'Retry-After'];

function setUpSwagger(app: NestExpressApplication): void {
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

/** Everything main.ts and the e2e tests must share: logging, headers, parsers, pipes, filters, docs. */
export function configureApp(app: NestExpressApplication): NestExpressApplication {
  const config = app.get<AppConfig>(appConfiguration.KEY);
  const logger = createLogger(config.logLevel);
  app.useLogger(new PinoLoggerService(logger));
  app.use(createRequestLogger(logger));

  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.use(
    helmet({
      contentSecurityPolicy: {
        directives: {
          // Swagger UI draws its icons from data: URIs; everything else is served from 'self'.
          'img-src': ["'self'", 'data:'],
          // Served over plain HTTP on a developer's machine; TLS is the proxy's business.
          'upgrade-insecure-requests': null,
        },
      },
    }),
  );
  if (config.corsOrigins.length) {
    app.enableCors({ origin: config.corsOrigins, exposedHeaders: EXPOSED_HEADERS, maxAge: 600 });
  }

  app.useBodyParser('json', { limit: BODY_LIMIT });
  // extended: false: no nested objects from `a[b]=c`; a repeated parameter becomes an array, which validation refuses.
  app.useBodyParser('urlencoded', { extended: false, limit: BODY_LIMIT });
  app.useGlobalPipes(
    new StrictValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      forbidUnknownValues: true,
      transform: true,
      stopAtFirstError: true,
    }),
  );
  app.useGlobalFilters(new HttpErrorsFilter(app.getHttpAdapter()));
  setUpSwagger(app);
  return app;
}
