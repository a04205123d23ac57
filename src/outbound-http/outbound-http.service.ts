import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIGURATION, type AppConfiguration } from '../config/configuration.js';
import { addressAllowed, addressPolicyOf, ipLiteralOf, type AddressPolicy } from './address-policy.js';

/** The whole exchange, connection included: a client that answers slowly is a failure, not a wait. */
export const OUTBOUND_TIMEOUT_MS = 5_000;
/** At most this much of an answer is read; a longer one is cut off and is a failure. */
export const MAX_RESPONSE_BYTES = 64 * 1024;

/** Why a call failed, in words an audit trail or a metric label may carry (never the URI's query or a token). */
export type OutboundFailureKind = 'refused-address' | 'timeout' | 'network' | 'redirect' | 'too-large' | 'bad-uri';

export class OutboundHttpError extends Error {
  constructor(
    readonly kind: OutboundFailureKind,
    message: string,
  ) {
    super(message);
  }
}

export interface OutboundResponse {
  status: number;
  body: Buffer;
}

/**
 * A `lookup` for node:http that resolves the name and keeps only the
 * addresses the policy allows; with none left, the connection fails with
 * `refused-address`. The socket connects to an address this lookup returned,
 * so a name that resolves to a public address when checked and to a private
 * one when used (DNS rebinding) cannot get past it.
 */
export function filteringLookup(policy: AddressPolicy, resolve: typeof dnsLookup = dnsLookup): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname, { ...options, all: true }, (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter(({ address }) => addressAllowed(address, policy));
      if (!allowed.length) return callback(new OutboundHttpError('refused-address', `${hostname} resolves only to addresses Gatehouse may not call`), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, allowed);
      callback(null, allowed[0].address, allowed[0].family);
    });
  };
}

/**
 * Every call Gatehouse makes to a URI someone else registered
 * (`backchannel_logout_uri`, `jwks_uri`) goes through here, with
 * OAUTH.md's rules for them: no redirects (a 3xx is a failure), a timeout
 * for the whole exchange, a cap on the answer read, and only addresses the
 * policy allows — checked on the address resolved for the connection and
 * again on the address the socket connected to, never on an earlier lookup.
 * No proxy, no keep-alive, no cookies.
 */
@Injectable()
export class OutboundHttpService {
  private readonly policy: AddressPolicy;

  constructor(@Inject(APP_CONFIGURATION) config: AppConfiguration) {
    this.policy = addressPolicyOf(config);
  }

  /** POSTs `form` as application/x-www-form-urlencoded; resolves with any status but 3xx, rejects with OutboundHttpError. */
  async postForm(uri: string, form: Record<string, string>): Promise<OutboundResponse> {
    const url = this.checkedUrl(uri);
    const body = Buffer.from(new URLSearchParams(form).toString());
    return this.exchange(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': body.length, Accept: '*/*', 'User-Agent': 'Gatehouse', 'Cache-Control': 'no-store' },
      body,
    });
  }

  /**
   * GETs a JSON document (a client's `jwks_uri`) under the same rules; a
   * status other than 200 or a body that is not JSON is an OutboundHttpError too.
   */
  async getJson(uri: string): Promise<unknown> {
    const url = this.checkedUrl(uri);
    const response = await this.exchange(url, { method: 'GET', headers: { Accept: 'application/json', 'User-Agent': 'Gatehouse' }, body: Buffer.alloc(0) });
    if (response.status !== 200) throw new OutboundHttpError('network', `answered ${response.status}`);
    try {
      return JSON.parse(response.body.toString('utf8')) as unknown;
    } catch {
      throw new OutboundHttpError('network', 'the answer is not JSON');
    }
  }

  private checkedUrl(uri: string): URL {
    let url: URL;
    try {
      url = new URL(uri);
    } catch {
      throw new OutboundHttpError('bad-uri', 'not an absolute URI');
    }
    if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new OutboundHttpError('bad-uri', 'only http and https URIs are called');
    // An IP literal is connected to without a lookup: its check is this one (and the socket's).
    const literal = ipLiteralOf(url.hostname);
    if (literal && !addressAllowed(literal, this.policy)) throw new OutboundHttpError('refused-address', `${url.hostname} is an address Gatehouse may not call`);
    return url;
  }

  private exchange(url: URL, { method, headers, body }: { method: string; headers: RequestOptions['headers']; body: Buffer }): Promise<OutboundResponse> {
    return new Promise((resolve, reject) => {
      const options: RequestOptions = { method, headers, lookup: filteringLookup(this.policy), agent: false };
      const request: ClientRequest = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options);
      let settled = false;
      const settle = (outcome: OutboundResponse | OutboundHttpError) => {
        if (settled) return;
        settled = true;
        clearTimeout(deadline);
        if (outcome instanceof OutboundHttpError) {
          request.destroy();
          reject(outcome);
        } else {
          resolve(outcome);
        }
      };
      const deadline = setTimeout(() => settle(new OutboundHttpError('timeout', `no complete answer within ${OUTBOUND_TIMEOUT_MS} ms`)), OUTBOUND_TIMEOUT_MS);
      deadline.unref();
      request.on('socket', (socket) => {
        socket.once('connect', () => {
          // The address actually connected to, whatever resolved it.
          const remote = socket.remoteAddress;
          if (!remote || !addressAllowed(remote, this.policy)) settle(new OutboundHttpError('refused-address', 'connected to an address Gatehouse may not call'));
        });
      });
      request.on('response', (response: IncomingMessage) => {
        const status = response.statusCode ?? 0;
        if (status >= 300 && status < 400) return settle(new OutboundHttpError('redirect', `answered ${status}: redirects are not followed`));
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) settle(new OutboundHttpError('too-large', `the answer is longer than ${MAX_RESPONSE_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => settle({ status, body: Buffer.concat(chunks) }));
        response.on('error', () => settle(new OutboundHttpError('network', 'the answer was cut off')));
      });
      request.on('error', (error: Error) => {
        settle(error instanceof OutboundHttpError ? error : new OutboundHttpError('network', (error as NodeJS.ErrnoException).code ?? 'the connection failed'));
      });
      request.end(body);
    });
  }
}
