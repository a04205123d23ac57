import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ClientApp {
  /** http://127.0.0.1:<port>: register `${baseUrl}/…` as a redirect URI. */
  baseUrl: string;
  /** Every URL the browser was sent to, in order. */
  received: URL[];
  close: () => Promise<void>;
}

/**
 * The smallest "application" a browser can be sent back to: another origin
 * (its own port) that answers any path with a plain page naming what it got,
 * and records the URL. It never exchanges the code itself: the test does,
 * as the application's back end would.
 */
export async function startClientApp(): Promise<ClientApp> {
  const received: URL[] = [];
  const server: Server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    received.push(url);
    const escape = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(`<!doctype html><title>Client app</title><h1>Client app</h1><p id="received">${escape(url.pathname)}: ${escape([...url.searchParams.keys()].join(', '))}</p>`);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
