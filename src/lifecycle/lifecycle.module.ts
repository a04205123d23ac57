import { Module } from '@nestjs/common';
import { ShutdownService } from './shutdown.service.js';

/** The service's life after start-up: whether it is ready for traffic, and its graceful stop (ShutdownService). */
@Module({ providers: [ShutdownService], exports: [ShutdownService] })
export class LifecycleModule {}
