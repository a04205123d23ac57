// The physical limit of any grant: how many access tokens one core signs per
// second with Gatehouse's algorithm and a key of the same size (jose, as
// Gatehouse signs; node:crypto underneath), claims shaped like a client's
// token (RFC 9068). No HTTP, no database. Prints `ops/s <n>` and exits.
// Run pinned to one core by bench/run.mjs: RAW_SIGNING_SECONDS, JWT_ALGORITHM
// (RS256 or HS256), RSA_MODULUS_BITS (from Gatehouse's JWKS).
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';

const algorithm = process.env.JWT_ALGORITHM ?? 'RS256';
const seconds = Number(process.env.RAW_SIGNING_SECONDS ?? 5);
const key =
  algorithm === 'HS256'
    ? new TextEncoder().encode(process.env.JWT_SECRET ?? 'bench-secret-of-at-least-thirty-two-bytes!')
    : generateKeyPairSync('rsa', { modulusLength: Number(process.env.RSA_MODULUS_BITS ?? 2048) }).privateKey;

const sign = () => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ client_id: 'bench-client', scope: 'gatehouse' })
    .setProtectedHeader({ alg: algorithm, kid: 'bench-key', typ: 'at+jwt' })
    .setSubject('bench-client')
    .setIssuer('gatehouse-bench')
    .setAudience('gatehouse')
    .setIssuedAt(now)
    .setExpirationTime(now + 900)
    .setJti(randomUUID())
    .sign(key);
};
// Warm-up: the JIT and the key's first use.
for (let index = 0; index < 50; index++) await sign();
const started = performance.now();
const ends = started + seconds * 1000;
let count = 0;
while (performance.now() < ends) {
  await sign();
  count++;
}
console.log(`ops/s ${(count / ((performance.now() - started) / 1000)).toFixed(1)}`);
