import { Controller, Get, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Auth } from '../access/decorators/auth.decorator.js';
import { AuditService } from './audit.service.js';
import { AuditEventDto } from './dto/audit-event.dto.js';
import { AuditPageDto } from './dto/audit-page.dto.js';
import { AuditQueryDto } from './dto/audit-query.dto.js';

/** The audit trail, for admins. */
@ApiTags('audit')
@Controller('audit')
@Auth('admin')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get()
  @ApiOperation({
    operationId: 'listAuditEvents',
    summary: 'Security events, newest first',
    description: 'Filtered by type, outcome, account (as actor or subject) and time range, all optional; paginated like GET /users.',
  })
  @ApiOkResponse({ type: AuditPageDto, description: 'One page of events' })
  @ApiBadRequestResponse({ description: 'An unknown type or outcome, a bad account id or instant, or page or pageSize out of range' })
  async list(@Query() { page, pageSize, type, outcome, account, from, to }: AuditQueryDto): Promise<AuditPageDto> {
    const filter = { type, outcome, accountId: account, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined };
    const { items, total } = await this.audit.findPage(filter, page, pageSize);
    return { items: items.map((event) => AuditEventDto.from(event)), total, page, pageSize };
  }
}
