import { ApiProperty } from '@nestjs/swagger';
import { PageDto } from '../../http/page.dto.js';
import { UserResponseDto } from '../../users/dto/user-response.dto.js';

export class UsersPageDto extends PageDto {
  @ApiProperty({ type: [UserResponseDto] })
  items: UserResponseDto[];
}
