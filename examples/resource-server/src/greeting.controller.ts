import { Controller, Get, Req } from '@nestjs/common';
import { CurrentTruth, type RequestWithClaims } from './gatehouse.guard.js';

@Controller('hello')
export class GreetingController {
  /** Verified locally with Gatehouse's public keys: no call to Gatehouse per request. */
  @Get()
  hello(@Req() request: RequestWithClaims) {
    const { username, sub, role, client_id: clientId } = request.claims!;
    // A client_credentials token names no person (RFC 9068 §2.2: its sub is the client).
    if (username === undefined) return { message: `Hello, client ${clientId ?? sub}: your token was verified with Gatehouse's public keys.` };
    return { message: `Hello, ${username} (user ${sub}, ${role}): your token was verified with Gatehouse's public keys.` };
  }

  /** Verified, and confirmed by introspection: a revoked token fails here at once. */
  @Get('strict')
  @CurrentTruth()
  strict(@Req() request: RequestWithClaims) {
    const { username, client_id: clientId, sub } = request.claims!;
    return { message: `Hello, ${username ?? `client ${clientId ?? sub}`}: Gatehouse confirms your token is active.` };
  }
}
