// The floor Gatehouse is measured against: a bare NestJS + Fastify app with
// what any Nest service guarding GET / with a JWT must pay for, and nothing
// else: one global guard verifying the token with Gatehouse's algorithm
// (HS256 with JWT_SECRET, or RS256 with the public key of Gatehouse's JWKS),
// issuer, audience and required claims checked as Gatehouse checks them; a
// cache of verified tokens like Gatehouse's (lru-cache, 10 000 entries, a hit
// still checks `exp`); and Gatehouse's own request logging (its pino setup
// and one line per request, from dist/). No database, no user, no revocation.
//
// It also serves, as static strings, the JSON of Gatehouse's JWKS and
// discovery documents and the HTML of its login page (files named by
// FLOOR_JWKS_FILE, FLOOR_DISCOVERY_FILE, FLOOR_LOGIN_PAGE_FILE): what the
// framework costs to serve those bytes, the reference of those rows.
//
// Plain JavaScript: Nest's decorators are functions, applied here by hand.
import 'reflect-metadata';
import { readFileSync } from 'node:fs';
import { createPublicKey } from 'node:crypto';
import { Controller, Get, Injectable, Module, Req, Res, UnauthorizedException } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import { LogController } from 'fastify';
import { jwtVerify } from 'jose';
import { LRUCache } from 'lru-cache';
import { createLogger, logRequests } from '../dist/src/logging/logger.js';
import { requestIdOf } from '../dist/src/http/request-id.js';

const algorithm = process.env.JWT_ALGORITHM ?? 'RS256';
const issuer = process.env.JWT_ISSUER ?? 'gatehouse';
const audience = 'gatehouse';
const key = algorithm === 'HS256' ? new TextEncoder().encode(process.env.JWT_SECRET) : createPublicKey({ key: JSON.parse(process.env.JWT_PUBLIC_JWK), format: 'jwk' });
const fileOrNull = (name) => (process.env[name] ? readFileSync(process.env[name], 'utf8') : null);
const jwks = fileOrNull('FLOOR_JWKS_FILE') ?? '{"keys":[]}';
const discovery = fileOrNull('FLOOR_DISCOVERY_FILE') ?? '{}';
const loginPage = fileOrNull('FLOOR_LOGIN_PAGE_FILE') ?? '<!doctype html><title>Sign in</title>';
const PUBLIC_PATHS = new Set(['/.well-known/jwks.json', '/.well-known/openid-configuration', '/authorize']);

class JwtGuard {
  verified = new LRUCache({ max: 10_000 });

  async canActivate(context) {
    const request = context.switchToHttp().getRequest();
    if (PUBLIC_PATHS.has(request.routeOptions.url)) return true;
    const header = request.headers.authorization;
    if (typeof header !== 'string' || !header.startsWith('Bearer ')) throw new UnauthorizedException();
    const token = header.slice(7);
    const cached = this.verified.get(token);
    if (cached && cached.exp > Date.now() / 1000) {
      request.user = cached;
      return true;
    }
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: [algorithm], issuer, audience, requiredClaims: ['exp', 'iat', 'sub', 'jti', 'aud'] });
      this.verified.set(token, payload);
      request.user = payload;
      return true;
    } catch {
      throw new UnauthorizedException();
    }
  }
}
Injectable()(JwtGuard);

class FloorController {
  greet(request) {
    return { message: `Hello, ${request.user.username} with ID: ${request.user.sub}!` };
  }

  jwks(reply) {
    reply.header('content-type', 'application/json; charset=utf-8').send(jwks);
  }

  discovery(reply) {
    reply.header('content-type', 'application/json; charset=utf-8').send(discovery);
  }

  loginPage(reply) {
    reply.header('content-type', 'text/html; charset=utf-8').send(loginPage);
  }
}
const route = (path, method, parameter) => {
  const { prototype } = FloorController;
  Get(path)(prototype, method, Object.getOwnPropertyDescriptor(prototype, method));
  parameter(prototype, method, 0);
};
route('/', 'greet', Req());
route('/.well-known/jwks.json', 'jwks', Res());
route('/.well-known/openid-configuration', 'discovery', Res());
route('/authorize', 'loginPage', Res());
Controller()(FloorController);

class FloorModule {}
Module({ controllers: [FloorController], providers: [{ provide: APP_GUARD, useClass: JwtGuard }] })(FloorModule);

const logger = createLogger(process.env.LOG_LEVEL ?? 'info');
const adapter = new FastifyAdapter({ loggerInstance: logger, logController: new LogController({ disableRequestLogging: true }), genReqId: requestIdOf });
const app = await NestFactory.create(FloorModule, adapter, { logger: false });
logRequests(app.getHttpAdapter().getInstance(), logger);
await app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
console.log(`Floor listens on http://127.0.0.1:${app.getHttpServer().address().port}`);
