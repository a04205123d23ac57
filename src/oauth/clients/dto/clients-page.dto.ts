import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../../http/page.dto.js';
import { ClientResponseDto } from './client-response.dto.js';

export class ClientsPageDto extends PageDto {
  @ApiProperty({ type: [ClientResponseDto] })
  items: ClientResponseDto[];
}
