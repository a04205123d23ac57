import { ApiProperty } from '@nestjs/swagger';

export class MessageResponseDto {
  @ApiProperty({ example: 'Hello, alice with ID: 1!' })
  message: string;
}
