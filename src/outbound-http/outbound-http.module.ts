import { Module } from '@nestjs/common';
import { OutboundHttpService } from './outbound-http.service.js';

/** The one way Gatehouse calls URIs that others registered (SSRF rules in OutboundHttpService). */
@Module({ providers: [OutboundHttpService], exports: [OutboundHttpService] })
export class OutboundHttpModule {}
