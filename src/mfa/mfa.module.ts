import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsersModule } from '../users/users.module.js';
import { TokensModule } from '../tokens/tokens.module.js';
import { MfaChallenge } from './entities/mfa-challenge.entity.js';
import { RecoveryCode } from './entities/recovery-code.entity.js';
import { TotpFactor } from './entities/totp-factor.entity.js';
import { MfaService } from './mfa.service.js';

/** TOTP two-factor: secrets, recovery codes and mfa_token challenges. Its routes and the MFA grant are auth/'s. */
@Module({
  imports: [UsersModule, TokensModule, TypeOrmModule.forFeature([TotpFactor, RecoveryCode, MfaChallenge])],
  providers: [MfaService],
  exports: [MfaService],
})
export class MfaModule {}
