import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { RecoveryToken } from './entities/recovery-token.entity.js';
import { RecoveryTokensService } from './recovery-tokens.service.js';

/** The single-use tokens mailed for e-mail verification and password reset. Their routes and flows are auth/'s. */
@Module({
  imports: [TypeOrmModule.forFeature([RecoveryToken])],
  providers: [RecoveryTokensService],
  exports: [RecoveryTokensService],
})
export class RecoveryModule {}
