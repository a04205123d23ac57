import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfiguration } from '../config/configuration.js';
import { MAX_RESPONSE_BYTES, OutboundHttpService } from './outbound-http.service.js';

/** A real server on loopback: what each path answers. */
const routes: Record<string, (request: IncomingMessage, response: ServerResponse, body: string) => void> = {
  '/ok': (_, response, body) => response.writeHead(200, { 'content-type': 'text/plain' }).end(body),
  '/redirect': (_, response) => response.writeHead(302, { location: '/ok' }).end(),
  '/large': (_, response) => response.writeHead(200).end(Buffer.alloc(MAX_RESPONSE_BYTES + 1, 'x')),
  '/error': (_, response) => response.writeHead(503).end('down'),
  '/headers': (request, response) => response.writeHead(200).end(JSON.stringify(request.headers)),
  '/json': (request, response) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: request.method, keys: [] })),
  '/not-json': (_, response) => response.writeHead(200).end('<html>'),
};

let server: Server;
let base: string;
const service = (production: boolean, allowPrivateUris = false) => new OutboundHttpService({ production, clients: { allowPrivateUris } } as AppConfiguration);

beforeAll(async () => {
  server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => (routes[request.url ?? ''] ?? routes['/error'])(request, response, body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise((resolve) => server.close(resolve)));

describe('OutboundHttpService.postForm', () => {
  it('POSTs the form url-encoded and gives back the status and body', async () => {
    const { status, body } = await service(false).postForm(`${base}/ok`, { logout_token: 'a.b.c', other: 'x y' });
    expect({ status, body: body.toString() }).toEqual({ status: 200, body: 'logout_token=a.b.c&other=x+y' });
    const headers = JSON.parse((await service(false).postForm(`${base}/headers`, { a: '1' })).body.toString());
    expect(headers).toMatchObject({ 'content-type': 'application/x-www-form-urlencoded', 'content-length': '3' });
  });

  it('gives back an error status as it is: the caller decides', async () => {
    expect((await service(false).postForm(`${base}/error`, {})).status).toBe(503);
  });

  it('never follows a redirect: a 3xx is a failure', async () => {
    await expect(service(false).postForm(`${base}/redirect`, {})).rejects.toMatchObject({ kind: 'redirect' });
  });

  it('stops reading an answer over MAX_RESPONSE_BYTES', async () => {
    await expect(service(false).postForm(`${base}/large`, {})).rejects.toMatchObject({ kind: 'too-large' });
  });

  it('in production refuses loopback: an IP literal before connecting, a name by its resolved addresses', async () => {
    await expect(service(true).postForm(`${base}/ok`, {})).rejects.toMatchObject({ kind: 'refused-address' });
    const port = new URL(base).port;
    await expect(service(true).postForm(`http://localhost:${port}/ok`, {})).rejects.toMatchObject({ kind: 'refused-address' });
    await expect(service(true).postForm(`http://[::ffff:127.0.0.1]:${port}/ok`, {})).rejects.toMatchObject({ kind: 'refused-address' });
    // ALLOW_PRIVATE_CLIENT_URIS lets it through.
    expect((await service(true, true).postForm(`http://localhost:${port}/ok`, {})).status).toBe(200);
  });

  it('refuses what is not an http(s) URI, and reports a refused connection as network', async () => {
    await expect(service(false).postForm('file:///etc/passwd', {})).rejects.toMatchObject({ kind: 'bad-uri' });
    await expect(service(false).postForm('not a uri', {})).rejects.toMatchObject({ kind: 'bad-uri' });
    await expect(service(false).postForm('http://127.0.0.1:1/', {})).rejects.toMatchObject({ kind: 'network' });
  });
});

describe('OutboundHttpService.getJson', () => {
  it('GETs and parses a JSON document', async () => {
    expect(await service(false).getJson(`${base}/json`)).toEqual({ method: 'GET', keys: [] });
  });

  it('fails on another status, on a body that is not JSON, on a redirect, on a long answer, and in production on loopback', async () => {
    await expect(service(false).getJson(`${base}/error`)).rejects.toMatchObject({ kind: 'network' });
    await expect(service(false).getJson(`${base}/not-json`)).rejects.toMatchObject({ kind: 'network' });
    await expect(service(false).getJson(`${base}/redirect`)).rejects.toMatchObject({ kind: 'redirect' });
    await expect(service(false).getJson(`${base}/large`)).rejects.toMatchObject({ kind: 'too-large' });
    await expect(service(true).getJson(`${base}/json`)).rejects.toMatchObject({ kind: 'refused-address' });
  });
});
