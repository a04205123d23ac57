import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsInt, IsISO8601, IsOptional, Matches, Max, Min } from 'class-validator';
import { PageQueryDto } from '../../http/page-query.dto.js';
import { SECURITY_EVENT_OUTCOMES, SECURITY_EVENT_TYPES, type SecurityEventOutcome, type SecurityEventType } from '../../security-events/security-event.js';

/** A date, or a date and time with its offset: a time without one would be read in the server's zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const INSTANT_MESSAGE = (property: string) => `${property} must be a date (2026-11-28) or a date and time with its offset (2026-11-28T18:00:00Z)`;
const MAX_ID = 2_147_483_647;

/** Filters of GET /audit; every one optional, all of them together (AND). */
export class AuditQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: SECURITY_EVENT_TYPES, description: 'Only events of this type' })
  @IsOptional()
  @IsIn(SECURITY_EVENT_TYPES)
  type?: SecurityEventType;

  @ApiPropertyOptional({ enum: SECURITY_EVENT_OUTCOMES })
  @IsOptional()
  @IsIn(SECURITY_EVENT_OUTCOMES)
  outcome?: SecurityEventOutcome;

  @ApiPropertyOptional({ minimum: 1, description: 'Only events this account did (actor) or that were about it (subject)' })
  @IsOptional()
  // Only a plain whole number becomes one: "1e3" or "0x10" stay text and are refused.
  @Transform(({ value }) => (typeof value === 'string' && /^[1-9]\d{0,9}$/.test(value) ? Number(value) : value))
  @IsInt({ message: `account must be an account id, a whole number from 1 to ${MAX_ID}` })
  @Min(1)
  @Max(MAX_ID)
  account?: number;

  // No `example`: Swagger UI's Try it out would send it, and a fixed past range filters every event out.
  @ApiPropertyOptional({ format: 'date-time', description: 'Only events at or after this instant, such as 2026-11-28T00:00:00Z' })
  @IsOptional()
  @Matches(INSTANT, { message: INSTANT_MESSAGE('from') })
  @IsISO8601({ strict: true }, { message: INSTANT_MESSAGE('from') })
  from?: string;

  @ApiPropertyOptional({ format: 'date-time', description: 'Only events at or before this instant, such as 2026-11-29T00:00:00Z' })
  @IsOptional()
  @Matches(INSTANT, { message: INSTANT_MESSAGE('to') })
  @IsISO8601({ strict: true }, { message: INSTANT_MESSAGE('to') })
  to?: string;
}
