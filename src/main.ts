import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppModule } from './app.module.js';
import { ConfigurationError, loadConfiguration } from './config/configuration.js';
import { configureApp } from './configure-app.js';
import { enableGracefulShutdown } from './shutdown/graceful-shutdown.js';

let port: number;
try {
  // Checked before Nest starts, so a bad variable stops start-up with one line, not a stack trace.
  port = loadConfiguration().port;
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(`gatehouse: configuration error: ${error.message}`);
  process.exit(1);
}

// Start-up messages wait for the JSON logger that configureApp installs.
const app = configureApp(await NestFactory.create<NestExpressApplication>(AppModule, { bufferLogs: true }));
enableGracefulShutdown(app, new Logger('Shutdown'));
await app.listen(port);
// PORT=0 takes any free port: say which one.
const { port: listening } = app.getHttpServer().address() as { port: number };
console.log(`Gatehouse listens on http://127.0.0.1:${listening} (Swagger UI at /docs)`);
