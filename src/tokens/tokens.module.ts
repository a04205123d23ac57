import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AccessTokensService } from './access-tokens.service.js';
import { RevokedAccessToken } from './entities/revoked-access-token.entity.js';
import { SigningKey } from './entities/signing-key.entity.js';
import { SigningKeysService } from './signing-keys.service.js';
import { KeyEncryption } from './key-encryption.js';

/** Access tokens and the keys that sign them: what other services verify (the key set) and revocation by jti. */
@Module({
  imports: [TypeOrmModule.forFeature([SigningKey, RevokedAccessToken])],
  providers: [SigningKeysService, AccessTokensService, KeyEncryption],
  exports: [SigningKeysService, AccessTokensService, KeyEncryption],
})
export class TokensModule {}
