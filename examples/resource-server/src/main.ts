import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { GatehouseGuard } from './gatehouse.guard.js';
import { DiscoveryError, GatehouseService } from './gatehouse.service.js';
import { GreetingController } from './greeting.controller.js';
import { readSettings } from './settings.js';

const settings = readSettings();
const gatehouse = await GatehouseService.discover(settings).catch((error: unknown) => {
  if (!(error instanceof DiscoveryError)) throw error;
  console.error(error.message);
  process.exit(1);
});

@Module({
  controllers: [GreetingController],
  providers: [{ provide: GatehouseService, useValue: gatehouse }, { provide: APP_GUARD, useClass: GatehouseGuard }],
})
class ResourceServerModule {}

const app = await NestFactory.create<NestFastifyApplication>(ResourceServerModule, new FastifyAdapter(), { logger: ['error', 'warn'] });
await app.listen(settings.port, '127.0.0.1');
const { port } = app.getHttpServer().address() as { port: number };
console.log(`Resource server listens on http://127.0.0.1:${port} (trusting ${settings.gatehouseUrl})`);
