import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import { addressAllowed, addressKind, addressPolicyOf, ipLiteralOf } from './address-policy.js';
import { filteringLookup } from './outbound-http.service.js';

describe('addressKind', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fe80::1', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:a9fe:a9fe', 'private'],
    ['64:ff9b::a9fe:a9fe', 'private'],
    ['2002:a00:1::', 'private'],
    ['0.0.0.0', 'never'],
    ['::', 'never'],
    ['224.0.0.1', 'never'],
    ['ff02::1', 'never'],
    ['255.255.255.255', 'never'],
    ['not-an-address', 'never'],
    ['93.184.216.34', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:2800:220:1:248:1893:25c8:1946', 'public'],
    ['::ffff:93.184.216.34', 'public'],
  ])('%s is %s', (address, kind) => {
    expect(addressKind(address)).toBe(kind);
  });
});

describe('addressPolicyOf and addressAllowed', () => {
  const production = addressPolicyOf({ production: true, clients: { allowPrivateUris: false } });
  const development = addressPolicyOf({ production: false, clients: { allowPrivateUris: false } });
  const allowed = addressPolicyOf({ production: true, clients: { allowPrivateUris: true } });

  it('production: public addresses only', () => {
    expect(['93.184.216.34', '127.0.0.1', '10.0.0.1', '::ffff:192.168.0.1', '0.0.0.0'].map((address) => addressAllowed(address, production))).toEqual([true, false, false, false, false]);
  });
  it('development: loopback too, private still not', () => {
    expect(['93.184.216.34', '127.0.0.1', '::1', '10.0.0.1', '0.0.0.0'].map((address) => addressAllowed(address, development))).toEqual([true, true, true, false, false]);
  });
  it('ALLOW_PRIVATE_CLIENT_URIS: loopback and private, never unspecified or multicast', () => {
    expect(['127.0.0.1', '10.0.0.1', 'fd00::1', '0.0.0.0', '224.0.0.1'].map((address) => addressAllowed(address, allowed))).toEqual([true, true, true, false, false]);
  });
});

describe('ipLiteralOf', () => {
  it('reads bracketed IPv6 and IPv4, not names', () => {
    expect([ipLiteralOf('[::1]'), ipLiteralOf('127.0.0.1'), ipLiteralOf('localhost'), ipLiteralOf('example.com')]).toEqual(['::1', '127.0.0.1', null, null]);
  });
});

describe('filteringLookup', () => {
  const policy = { allowLoopback: false, allowPrivate: false };
  const resolver = (addresses: LookupAddress[]) =>
    ((_host: string, _options: object, callback: (error: null, addresses: LookupAddress[]) => void) => callback(null, addresses)) as unknown as typeof import('node:dns').lookup;
  const run = (addresses: LookupAddress[], all: boolean) =>
    new Promise<{ error: Error | null; result: unknown }>((resolve) =>
      filteringLookup(policy, resolver(addresses))('rebind.example', { all } as never, ((error: Error | null, address: unknown, family?: number) => resolve({ error, result: all ? address : [address, family] })) as never),
    );

  it('drops the addresses the policy refuses and connects to what is left', async () => {
    const mixed = [
      { address: '10.0.0.1', family: 4 },
      { address: '93.184.216.34', family: 4 },
    ];
    expect(await run(mixed, false)).toEqual({ error: null, result: ['93.184.216.34', 4] });
    expect(await run(mixed, true)).toEqual({ error: null, result: [{ address: '93.184.216.34', family: 4 }] });
  });

  it('fails when every address is refused (a name that resolves to the metadata service, or to loopback)', async () => {
    const { error } = await run([{ address: '169.254.169.254', family: 4 }, { address: '::1', family: 6 }], false);
    expect(error).toMatchObject({ kind: 'refused-address' });
  });
});
