import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigurationError, loadConfiguration, settlePort, type AppConfiguration } from './config/configuration.js';
import { createApp } from './configure-app.js';
import { enableGracefulShutdown } from './http/graceful-shutdown.js';

/** A configuration error stops start-up with one line, not a stack trace: before Nest starts, or during (signing keys it cannot decrypt). */
function stopOn(error: unknown): never {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`gatehouse: configuration error: ${error.message}`);
  process.exit(1);
}

let config: AppConfiguration;
try {
  config = loadConfiguration();
} catch (error) {
  stopOn(error);
}

const app = await createApp(config);
enableGracefulShutdown(app, new Logger('Shutdown'));
await app.listen(config.port, '0.0.0.0').catch(stopOn);
// PORT=0 takes any free port: say which one.
const { port: listening } = app.getHttpServer().address() as { port: number };
settlePort(config, listening);
console.log(`Gatehouse listens on http://127.0.0.1:${listening} (Swagger UI at /docs)`);
