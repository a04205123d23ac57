import { Agent, createServer, request, type IncomingMessage, type Server } from 'node:http';
import { once } from 'node:events';

export interface ProxyStats {
  /** Requests answered by an upstream (any status). */
  forwarded: number;
  /** Attempts refused (ECONNREFUSED) and tried on the next upstream. */
  retriedRefused: number;
  /** Requests the proxy answered 502 itself: an upstream reset or dropped it mid-request. Must stay 0. */
  failed: string[];
}

export interface RoundRobinProxy {
  url: string;
  stats: ProxyStats;
  close: () => Promise<void>;
}

/** How long one request may look for an upstream that takes it (every upstream refusing: a restart of both at once). */
const REFUSED_RETRY_LIMIT_MS = 10_000;
/** How often each upstream's readiness is asked, as a load balancer's health check does (much faster than SHUTDOWN_DRAIN). */
const READINESS_INTERVAL_MS = 100;

/**
 * The load balancer of the rolling-restart test: round robin over the
 * upstreams that answer GET /health/ready with 200 (asked every 100 ms, as a
 * Kubernetes Service or a balancer's health check does), over kept-alive
 * connections. Only a refused connection (ECONNREFUSED: nothing was sent) is
 * tried again, on the next upstream; anything else that goes wrong (a reset,
 * a connection closed before the answer) is answered 502 and recorded as a
 * failure, since the request may have been processed.
 */
export async function startRoundRobinProxy(upstreamPorts: number[]): Promise<RoundRobinProxy> {
  const stats: ProxyStats = { forwarded: 0, retriedRefused: 0, failed: [] };
  const ready = upstreamPorts.map(() => false);
  const agents = upstreamPorts.map(() => new Agent({ keepAlive: true, maxSockets: 32 }));
  let next = 0;
  let polling = true;

  const poll = async () => {
    while (polling) {
      await Promise.all(upstreamPorts.map(async (port, index) => (ready[index] = await isReady(port))));
      await new Promise((resolve) => setTimeout(resolve, READINESS_INTERVAL_MS));
    }
  };
  const poller = poll();

  const pick = (): number => {
    for (let tries = 0; tries < upstreamPorts.length; tries++) {
      const index = next++ % upstreamPorts.length;
      if (ready[index]) return index;
    }
    // None ready (yet): try them in turn; a refusal moves on.
    return next++ % upstreamPorts.length;
  };

  const forward = (index: number, incoming: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const outgoing = request(
        { host: '127.0.0.1', port: upstreamPorts[index], method: incoming.method, path: incoming.url, headers: { ...incoming.headers, connection: 'keep-alive' }, agent: agents[index] },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body: Buffer.concat(chunks) }));
          response.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    });

  const server: Server = createServer(async (incoming, reply) => {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const started = Date.now();
    for (;;) {
      const index = pick();
      try {
        const answer = await forward(index, incoming, body);
        stats.forwarded++;
        const headers = { ...answer.headers };
        delete headers.connection;
        delete headers['keep-alive'];
        delete headers['transfer-encoding'];
        reply.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
        reply.end(answer.body);
        return;
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ECONNREFUSED' && Date.now() - started < REFUSED_RETRY_LIMIT_MS) {
          ready[index] = false;
          stats.retriedRefused++;
          if (ready.every((up) => !up)) await new Promise((resolve) => setTimeout(resolve, 20));
          continue;
        }
        stats.failed.push(`${incoming.method} ${incoming.url} → upstream ${upstreamPorts[index]}: ${code ?? (error as Error).message}`);
        reply.writeHead(502, { 'content-type': 'text/plain' });
        reply.end(`proxy: ${code ?? (error as Error).message}`);
        return;
      }
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: async () => {
      polling = false;
      await poller;
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      for (const agent of agents) agent.destroy();
    },
  };
}

function isReady(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = request({ host: '127.0.0.1', port, path: '/health/ready', agent: false, timeout: 1000 }, (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode === 200));
    });
    probe.on('error', () => resolve(false));
    probe.on('timeout', () => probe.destroy());
    probe.end();
  });
}
