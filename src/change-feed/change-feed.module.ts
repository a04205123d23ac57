import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { ChangeFeedService } from './change-feed.service.js';
import { SharedChange } from './entities/shared-change.entity.js';

/** The change feed: what every instance must apply, through the database, so it holds with Redis down or late. */
@Module({ imports: [TypeOrmModule.forFeature([SharedChange])], providers: [ChangeFeedService] })
export class ChangeFeedModule {}
