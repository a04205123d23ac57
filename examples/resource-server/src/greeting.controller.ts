import { Controller, Get, Req } from '@nestjs/common';
import { CurrentTruth, type RequestWithClaims } from './gatehouse.guard.js';

@Controller('hello')
export class GreetingController {
  /** Verified locally with Gatehouse's public keys: no call to Gatehouse per request. */
  @Get()
  hello(@Req() request: RequestWithClaims) {
    const { username, sub, role } = request.claims!;
    return { message: `Hello, ${username} (user ${sub}, ${role}): your token was verified with Gatehouse's public keys.` };
  }

  /** Verified, and confirmed by introspection: a revoked token fails here at once. */
  @Get('strict')
  @CurrentTruth()
  strict(@Req() request: RequestWithClaims) {
    return { message: `Hello, ${request.claims!.username}: Gatehouse confirms your token is active.` };
  }
}
