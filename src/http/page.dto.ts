import { ApiProperty } from '@nestjs/swagger';

/** What every paginated answer says besides its items: how many there are in all, and which page this is. */
export abstract class PageDto {
  @ApiProperty({ example: 42 })
  total: number;

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  pageSize: number;
}
