import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsOptional } from 'class-validator';

export class EndSessionsQueryDto {
  @ApiPropertyOptional({ default: false, description: 'Also end the session of the access token this request carries (log out everywhere).' })
  @IsOptional()
  // A query string is text: only "true" and "false" mean a boolean; anything else fails IsBoolean (400).
  @Transform(({ value }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  all: boolean = false;
}
