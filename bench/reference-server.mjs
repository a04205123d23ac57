// The reference Gatehouse is measured against: a minimal Fastify 5 +
// @fastify/jwt server serving the same greeting for the same token format,
// HS256 (JWT_SECRET) or RS256 (JWT_PUBLIC_KEY, PEM), iss and aud checked.
// No database, no user lookup, no revocation: a floor, not a rival.
// JWT_CACHE=1: fast-jwt's cache of verified tokens on (1000 tokens), as
// Gatehouse caches its own; without it every request checks the signature.
import fastifyJwt from '@fastify/jwt';
import Fastify from 'fastify';

const algorithm = process.env.JWT_ALGORITHM ?? 'HS256';
const app = Fastify({ logger: false });
await app.register(fastifyJwt, {
  secret: algorithm === 'HS256' ? process.env.JWT_SECRET : { public: process.env.JWT_PUBLIC_KEY },
  verify: { algorithms: [algorithm], allowedIss: process.env.JWT_ISSUER ?? 'gatehouse', allowedAud: 'gatehouse', ...(process.env.JWT_CACHE ? { cache: true } : {}) },
});

app.get('/', async (request, reply) => {
  try {
    await request.jwtVerify();
  } catch {
    return reply.code(401).send({ statusCode: 401, message: 'Unauthorized' });
  }
  return { message: `Hello, ${request.user.username} with ID: ${request.user.sub}!` };
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
console.log(`Reference listens on http://127.0.0.1:${app.server.address().port}`);
