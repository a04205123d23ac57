import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** How the API treats the requests that follow: answers, fails with a status, drops the connection, or never answers. */
export type PwnedPasswordsBehaviour = 'answer' | 'reset' | 'hang' | number;

export interface PwnedPasswordsApi {
  /** The base URL, for HIBP_API_URL. */
  url: string;
  /** Every request received, in order. */
  requests: { method: string; url: string; headers: IncomingHttpHeaders; body: string }[];
  behave: (behaviour: PwnedPasswordsBehaviour) => void;
  close: () => Promise<void>;
}

export const sha1Of = (password: string) => createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();

/**
 * A local server that speaks Have I Been Pwned's Pwned Passwords range API:
 * `GET /range/{5 hex}` answers `SUFFIX:COUNT` lines (CRLF, upper-case hex) for
 * the known hashes under that prefix, and with `Add-Padding: true` adds decoy
 * lines with the count 0, as the real API does. `padding` names passwords
 * whose suffix is among the decoys, to prove a decoy is not taken for a breach.
 */
export async function startPwnedPasswordsApi(breached: Record<string, number>, padding: string[] = []): Promise<PwnedPasswordsApi> {
  const requests: PwnedPasswordsApi['requests'] = [];
  let behaviour: PwnedPasswordsBehaviour = 'answer';
  const server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      requests.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      if (behaviour === 'reset') return request.socket.destroy();
      if (behaviour === 'hang') return;
      if (typeof behaviour === 'number') return response.writeHead(behaviour).end();
      const prefix = /^\/range\/([0-9A-Fa-f]{5})$/.exec(request.url!)?.[1]?.toUpperCase();
      if (!prefix) return response.writeHead(400).end('The hash prefix was not in a valid format');
      const lines = Object.entries(breached)
        .filter(([password]) => sha1Of(password).startsWith(prefix))
        .map(([password, count]) => `${sha1Of(password).slice(5)}:${count}`);
      if (request.headers['add-padding'] === 'true') {
        const decoys = padding.filter((password) => sha1Of(password).startsWith(prefix)).map((password) => sha1Of(password).slice(5));
        for (let i = 0; i < 20; i++) decoys.push(randomBytes(18).toString('hex').slice(0, 35).toUpperCase());
        lines.push(...decoys.map((suffix) => `${suffix}:0`));
      }
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end(lines.sort().join('\r\n'));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    behave: (next) => (behaviour = next),
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
