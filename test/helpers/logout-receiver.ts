import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedLogout {
  logoutToken: string;
  contentType: string | undefined;
  at: number;
}

/** How the receiver answers: 200, a 500, or only after `slowMs`. */
export type ReceiverMode = { kind: 'ok' } | { kind: 'error'; status: number } | { kind: 'slow'; slowMs: number };

export interface LogoutReceiver {
  /** http://127.0.0.1:<port>/backchannel-logout: register it as the client's backchannel_logout_uri. */
  uri: string;
  received: ReceivedLogout[];
  /** POSTs that came in, answered or not. */
  attempts: number;
  mode: ReceiverMode;
  /** Stops listening: connections to its port are refused until `start`. */
  stop: () => Promise<void>;
  /** Listens again, on the same port. */
  start: () => Promise<void>;
}

/**
 * A client's back-channel logout endpoint (OIDC Back-Channel Logout 1.0
 * §2.5): a real HTTP server on its own port that records each POSTed
 * `logout_token` and answers as `mode` says; it can go down and come back on
 * the same port, as a client's server does.
 */
export async function startLogoutReceiver(): Promise<LogoutReceiver> {
  let server: Server | null = null;
  let port = 0;
  const receiver: LogoutReceiver = {
    uri: '',
    received: [],
    attempts: 0,
    mode: { kind: 'ok' },
    stop: async () => {
      const current = server;
      server = null;
      if (!current) return;
      current.closeAllConnections();
      await new Promise((resolve) => current.close(resolve));
    },
    start: async () => {
      server = createServer((request, response) => {
        let body = '';
        request.setEncoding('utf8');
        request.on('data', (chunk: string) => (body += chunk));
        request.on('end', () => {
          receiver.attempts++;
          const mode = receiver.mode;
          const answer = () => {
            // A caller that gave up (a slow answer past its timeout) received nothing.
            if (request.socket.destroyed) return;
            if (mode.kind === 'error') {
              response.writeHead(mode.status).end();
              return;
            }
            const logoutToken = new URLSearchParams(body).get('logout_token');
            if (logoutToken) receiver.received.push({ logoutToken, contentType: request.headers['content-type'], at: Date.now() });
            response.writeHead(200, { 'cache-control': 'no-store' }).end();
          };
          if (mode.kind === 'slow') setTimeout(answer, mode.slowMs).unref();
          else answer();
        });
      });
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      port = (server.address() as AddressInfo).port;
      receiver.uri = `http://127.0.0.1:${port}/backchannel-logout`;
    },
  };
  await receiver.start();
  return receiver;
}
