import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../http/page.dto.js';
import { AuditEventDto } from './audit-event.dto.js';

export class AuditPageDto extends PageDto {
  @ApiProperty({ type: [AuditEventDto] })
  items: AuditEventDto[];
}
