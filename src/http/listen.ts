import type { AddressInfo } from 'node:net';
import { isIPv6 } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigurationError, type AppConfiguration } from '../config/configuration.js';

/** What a failed listen means for the person starting the service, by Node's error code. */
function listenError(error: unknown, { host, port }: Pick<AppConfiguration, 'host' | 'port'>): unknown {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'EADDRINUSE':
      return new ConfigurationError(`PORT ${port} is already in use on ${host}: stop what listens there, or set PORT to a free port (0 takes any)`);
    case 'EACCES':
      return new ConfigurationError(`PORT ${port} needs privileges this user does not have: set PORT to 1024 or above`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new ConfigurationError(`HOST ${host} is not an address of this machine: set HOST to 127.0.0.1 (this machine only), 0.0.0.0 (every interface) or one of its addresses`);
    default:
      return error;
  }
}

/**
 * Listens on HOST:PORT and returns the port (PORT=0 takes any free one). A
 * port in use, a privileged port or a foreign address is a ConfigurationError:
 * one line naming the variable, not a stack.
 */
export async function listen(app: NestFastifyApplication, config: Pick<AppConfiguration, 'host' | 'port'>): Promise<number> {
  try {
    await app.listen(config.port, config.host);
  } catch (error) {
    throw listenError(error, config);
  }
  return (app.getHttpServer().address() as AddressInfo).port;
}

/** The URL to open on this machine: an unspecified address (0.0.0.0, ::) is reached at 127.0.0.1. */
export function localUrl(host: string, port: number): string {
  if (host === '0.0.0.0' || host === '::') return `http://127.0.0.1:${port}`;
  return `http://${isIPv6(host) ? `[${host}]` : host}:${port}`;
}
