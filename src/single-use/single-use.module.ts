import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { UsedIdentifier } from './entities/used-identifier.entity.js';
import { SingleUseService } from './single-use.service.js';

/** Identifiers used once across instances (client assertion and DPoP proof `jti`s): Redis when there is one, else the database. */
@Module({
  imports: [TypeOrmModule.forFeature([UsedIdentifier])],
  providers: [SingleUseService],
  exports: [SingleUseService],
})
export class SingleUseModule {}
