import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import { createTestApp, type TestApp } from './app.js';

/** A port free at the moment of asking: the kernel picks one for a plain server, which lets it go. */
export async function freePort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface ListeningApp extends TestApp {
  /** PUBLIC_URL, which is the issuer too: http://127.0.0.1:<port>. */
  baseUrl: string;
}

/**
 * The real app (createTestApp) listening on a real port, for clients that
 * speak HTTP rather than supertest's in-process calls: client libraries,
 * a browser. PUBLIC_URL names that port before the app starts, since the
 * issuer, discovery's endpoints, the `iss` of every authorization response
 * and the built-in Swagger UI client's redirect URI are all made from it.
 */
export async function createListeningApp(env: Record<string, string> = {}): Promise<ListeningApp> {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const testApp = await createTestApp({ PUBLIC_URL: baseUrl, ...env });
  await testApp.app.listen(port, '127.0.0.1');
  return { ...testApp, baseUrl };
}
