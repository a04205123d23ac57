import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';

/** The largest id a 32-bit integer column holds (PostgreSQL's `integer`). */
const MAX_ID = 2_147_483_647;

/** A user id from the path: a positive whole number that fits the column, else 400 (never a database error). */
@Injectable()
export class UserIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^[1-9]\d{0,9}$/.test(value) || Number(value) > MAX_ID) {
      throw new BadRequestException(`id must be a whole number from 1 to ${MAX_ID}`);
    }
    return Number(value);
  }
}
