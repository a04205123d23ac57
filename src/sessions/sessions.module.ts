import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Session } from './entities/session.entity.js';
import { SessionsService } from './sessions.service.js';

/** Sessions (one per login): listing and ending them, and which ended sessions' access tokens to refuse. Their routes are auth/'s and admin/'s. */
@Module({
  imports: [TypeOrmModule.forFeature([Session])],
  providers: [SessionsService],
  exports: [SessionsService],
})
export class SessionsModule {}
