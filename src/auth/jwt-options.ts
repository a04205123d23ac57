import { createSecretKey } from 'node:crypto';
import type { JwtModuleOptions } from '@nestjs/jwt';
import type { AppConfiguration } from '../config/configuration.js';

export const ACCESS_TOKEN_ALGORITHM = 'HS256';
/** nbf, iat and exp get a little slack for clocks a few seconds apart. */
export const CLOCK_TOLERANCE_SECONDS = 5;

/**
 * How access tokens are signed and verified, written once, for JwtModule:
 * TokensService signs and JwtStrategy verifies through the same JwtService.
 */
export function jwtModuleOptions({ jwt: { secret, issuer, audience, accessTokenTtlSeconds } }: AppConfiguration): JwtModuleOptions {
  return {
    // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a PEM
    // public key and catches the failure, on every request (a fifth of the CPU of GET / in the profile).
    secret: createSecretKey(Buffer.from(secret, 'utf8')),
    signOptions: { algorithm: ACCESS_TOKEN_ALGORITHM, issuer, audience, expiresIn: accessTokenTtlSeconds },
    // Pinned: `alg: none` and any other algorithm are refused before the signature is read;
    // `complete` hands JwtStrategy.validate() the header too.
    verifyOptions: { algorithms: [ACCESS_TOKEN_ALGORITHM], issuer, audience, clockTolerance: CLOCK_TOLERANCE_SECONDS, complete: true },
  };
}
