import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigurationError, loadConfiguration, type AppConfiguration } from './config/configuration.js';
import { createApp } from './configure-app.js';
import { enableGracefulShutdown } from './http/graceful-shutdown.js';

let config: AppConfiguration;
try {
  // Read once, before Nest starts, so a bad variable stops start-up with one line, not a stack trace.
  config = loadConfiguration();
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`gatehouse: configuration error: ${error.message}`);
  process.exit(1);
}

const app = await createApp(config);
enableGracefulShutdown(app, new Logger('Shutdown'));
await app.listen(config.port, '0.0.0.0');
// PORT=0 takes any free port: say which one.
const { port: listening } = app.getHttpServer().address() as { port: number };
console.log(`Gatehouse listens on http://127.0.0.1:${listening} (Swagger UI at /docs)`);
