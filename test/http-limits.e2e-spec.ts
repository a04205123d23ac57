import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, createTestApp, registerAndLogin, type TestApp } from './helpers/app.js';

const ADMIN = { username: 'limits-admin', password: 'speed-bump-ahead' };
let testApp: TestApp;
let port: number;

beforeAll(async () => {
  testApp = await createTestApp({
    HTTP_REQUEST_TIMEOUT: '2s',
    HTTP_HEADERS_TIMEOUT: '1s',
    HTTP_KEEP_ALIVE_TIMEOUT: '1s',
    HTTP_MAX_CONNECTIONS: '4',
    ADMIN_USERNAME: ADMIN.username,
    ADMIN_PASSWORD: ADMIN.password,
  });
  await testApp.app.listen(0, '127.0.0.1');
  port = (testApp.app.getHttpServer().address() as { port: number }).port;
});
afterAll(() => testApp.close());

/** A raw connection: what it received, and when the server closed it (ms after it opened). */
function rawConnection(): { socket: Socket; received: () => string; closed: Promise<number> } {
  const opened = performance.now();
  const socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk) => (received += chunk.toString()));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(performance.now() - opened)));
  return { socket, received: () => received, closed };
}

describe('HTTP server limits', () => {
  it('cuts a body trickled one byte at a time once HTTP_REQUEST_TIMEOUT (2 s) is over, with 408', async () => {
    const { socket, received, closed } = rawConnection();
    socket.write('POST /auth HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{');
    const trickle = setInterval(() => socket.writable && socket.write(' '), 250);
    const elapsed = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 10_000))]);
    clearInterval(trickle);
    socket.destroy();
    console.log(`trickled body: the connection was closed after ${elapsed.toFixed(0)} ms`);
    expect(elapsed).toBeGreaterThanOrEqual(1900);
    expect(elapsed).toBeLessThan(5000);
    expect(received()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a kept-alive connection idle for HTTP_KEEP_ALIVE_TIMEOUT (1 s)', async () => {
    const { socket, received, closed } = rawConnection();
    socket.write('GET /unprotected HTTP/1.1\r\nHost: localhost\r\n\r\n');
    const elapsed = await Promise.race([closed, new Promise<number>((resolve) => setTimeout(() => resolve(Infinity), 10_000))]);
    expect(received()).toMatch(/^HTTP\/1\.1 200 /);
    expect(elapsed).toBeLessThan(4000);
  });

  it('refuses connections beyond HTTP_MAX_CONNECTIONS (4), and serves again once they close', async () => {
    const held = Array.from({ length: 4 }, () => rawConnection());
    await new Promise((resolve) => setTimeout(resolve, 100));
    const extra = rawConnection();
    extra.socket.write('GET /unprotected HTTP/1.1\r\nHost: localhost\r\n\r\n');
    await extra.closed;
    expect(extra.received()).toBe('');
    for (const connection of held) connection.socket.destroy();
    await Promise.all(held.map((connection) => connection.closed));
    const again = rawConnection();
    again.socket.write('GET /unprotected HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    await again.closed;
    expect(again.received()).toMatch(/^HTTP\/1\.1 200 /);
  });
});

describe('request bodies', () => {
  it('refuses a compressed body with 415, without inflating it', async () => {
    const body = gzipSync(JSON.stringify({ username: 'zipped', password: 'zipped-password' }));
    const response = await testApp.http().post('/auth').set('Content-Type', 'application/json').set('Content-Encoding', 'gzip').send(body).expect(415);
    expect(response.body).toEqual({ statusCode: 415, message: 'Unsupported Content-Encoding "gzip": send the body uncompressed.', error: 'Unsupported Media Type' });
    await testApp.http().post('/auth/token').type('form').send({ username: 'zipped', password: 'zipped-password' }).expect(401);
  });

  it('takes Content-Encoding: identity', async () => {
    await testApp.http().post('/auth').set('Content-Encoding', 'identity').send({ username: 'plain', password: 'simple-unadorned-words' }).expect(201);
  });

  it.each([
    ['grant_type', '{"grant_type":"password","grant_type":"password","username":"plain","password":"simple-unadorned-words"}'],
    ['username', '{"username":"plain","username":"other","password":"simple-unadorned-words"}'],
    ['an escaped spelling of password', '{"username":"plain","password":"wrong-password","pass\\u0077ord":"simple-unadorned-words"}'],
  ])('refuses a JSON body that repeats %s with 400 invalid_request, as a repeated form field is', async (_case, json) => {
    const response = await testApp.http().post('/auth/token').set('Content-Type', 'application/json').send(json).expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'invalid_request' });
  });

  it('refuses a repeated key in other JSON bodies with 400, and stores nothing', async () => {
    const response = await testApp.http().post('/auth').set('Content-Type', 'application/json').send('{"username":"twice","password":"first-password","password":"second-password"}').expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    await testApp.http().post('/auth').send({ username: 'twice', password: 'second-password' }).expect(201);
  });

  it('still reads nested values and strings with braces and quotes correctly', async () => {
    await testApp.http().post('/auth').send({ username: 'braces', password: 'a"{}[],:\\x' }).expect(201);
    await testApp.http().post('/auth/token').send({ username: 'braces', password: 'a"{}[],:\\x', extension: ['a', { b: '}', c: [1, { d: 'e' }] }], ignored: { grant_type: 'x' } }).expect(200);
  });
});

describe('Cache-Control', () => {
  it('is no-store on every answer with account data, and on errors', async () => {
    const { user, accessToken } = await registerAndLogin(testApp, 'cached-nowhere');
    const asAdmin = basic(ADMIN.username, ADMIN.password);
    const answers = {
      'GET /auth/me': await testApp.http().get('/auth/me').set('Authorization', `Bearer ${accessToken}`).expect(200),
      'GET /': await testApp.http().get('/').set('Authorization', `Bearer ${accessToken}`).expect(200),
      'GET /users': await testApp.http().get('/users').set('Authorization', asAdmin).expect(200),
      'PATCH /users/:id': await testApp.http().patch(`/users/${user.id}`).set('Authorization', asAdmin).send({ role: 'user' }).expect(200),
      'POST /auth': await testApp.http().post('/auth').send({ username: 'cached-nowhere-2', password: 'some-password' }).expect(201),
      'GET /auth/me, 401': await testApp.http().get('/auth/me').expect(401),
    };
    for (const [request, answer] of Object.entries(answers)) expect(answer.headers['cache-control'], request).toBe('no-store');
  });

  it('lets Swagger UI be cached', async () => {
    const docs = await testApp.http().get('/docs/').redirects(1);
    expect(docs.headers['cache-control']).not.toBe('no-store');
  });
});
