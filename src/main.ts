import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { ConfigurationError, loadConfiguration } from './config/configuration.js';
import { configureApp } from './configure-app.js';

let port: number;
try {
  // Checked before Nest starts, so a bad variable stops start-up with one line, not a stack trace.
  port = loadConfiguration().port;
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`gatehouse: configuration error: ${error.message}`);
  process.exit(1);
}

const app = configureApp(await NestFactory.create<NestExpressApplication>(AppModule));
await app.listen(port);
// PORT=0 takes any free port: say which one.
const { port: listening } = app.getHttpServer().address() as { port: number };
console.log(`Gatehouse listens on http://127.0.0.1:${listening} (Swagger UI at /docs)`);
