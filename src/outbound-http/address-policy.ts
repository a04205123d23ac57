import { BlockList, isIP } from 'node:net';

/**
 * Which addresses Gatehouse may call when it calls a URI a client gave it
 * (`backchannel_logout_uri`, later `jwks_uri`): OAUTH.md, "Clients" — never
 * a proxy into the operator's own network (SSRF).
 */
export interface AddressPolicy {
  /** 127.0.0.0/8, ::1: outside production, or with ALLOW_PRIVATE_CLIENT_URIS. */
  allowLoopback: boolean;
  /** Private, link-local, unique-local and the like: only with ALLOW_PRIVATE_CLIENT_URIS. */
  allowPrivate: boolean;
}

/** The policy the configuration gives: loopback is a developer's machine outside production. */
export function addressPolicyOf(config: { production: boolean; clients: { allowPrivateUris: boolean } }): AddressPolicy {
  return { allowLoopback: !config.production || config.clients.allowPrivateUris, allowPrivate: config.clients.allowPrivateUris };
}

export type AddressKind = 'public' | 'loopback' | 'private' | 'never';

/** Loopback: RFC 1122 §3.2.1.3, RFC 4291 §2.5.3. */
const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/**
 * Addresses inside someone's network or this host's: private (RFC 1918),
 * shared/CGNAT (RFC 6598), link-local (RFC 3927, RFC 4291 — where cloud
 * metadata services answer, 169.254.169.254), unique-local (RFC 4193),
 * benchmarking (RFC 2544), the IETF protocol block (RFC 6890), and the
 * documentation and reserved ranges, which no real server uses. IPv6
 * transition forms that embed an IPv4 address (NAT64, 6to4, Teredo) could reach
 * any of them, so they count as private too.
 */
const PRIVATE = new BlockList();
for (const [network, prefix] of [
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['240.0.0.0', 4],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['fc00::', 7],
  ['fe80::', 10],
  ['fec0::', 10],
  ['64:ff9b::', 96],
  ['64:ff9b:1::', 48],
  ['2001::', 32],
  ['2001:db8::', 32],
  ['2002::', 16],
  ['100::', 64],
] as const) {
  PRIVATE.addSubnet(network, prefix, 'ipv6');
}

/** Never a server: unspecified (0.0.0.0/8, ::), multicast (224.0.0.0/4, ff00::/8), broadcast. */
const NEVER = new BlockList();
NEVER.addSubnet('0.0.0.0', 8, 'ipv4');
NEVER.addSubnet('224.0.0.0', 4, 'ipv4');
NEVER.addAddress('255.255.255.255', 'ipv4');
NEVER.addAddress('::', 'ipv6');
NEVER.addSubnet('ff00::', 8, 'ipv6');

/** `::ffff:10.0.0.1` (IPv4-mapped, RFC 4291 §2.5.5.2) and the deprecated IPv4-compatible `::10.0.0.1` are that IPv4 address. */
function embeddedIpv4(address: string): string | null {
  const mapped = /^::(?:ffff:(?:0:)?)?(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return null;
  const [high, low] = [parseInt(hex[1], 16), parseInt(hex[2], 16)];
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** What an IP address (v4 or v6, as `net.isIP` reads it) is; anything else is `never`. */
export function addressKind(address: string): AddressKind {
  const family = isIP(address);
  if (family === 0) return 'never';
  const embedded = family === 6 ? embeddedIpv4(address) : null;
  if (embedded) return addressKind(embedded);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (NEVER.check(address, type)) return 'never';
  if (LOOPBACK.check(address, type)) return 'loopback';
  if (PRIVATE.check(address, type)) return 'private';
  return 'public';
}

/** Whether the policy lets Gatehouse connect to `address`. */
export function addressAllowed(address: string, policy: AddressPolicy): boolean {
  const kind = addressKind(address);
  return kind === 'public' || (kind === 'loopback' && policy.allowLoopback) || (kind === 'private' && policy.allowPrivate);
}

/** The host of a URL as an IP literal (`[::1]` unbracketed), or null for a name. */
export function ipLiteralOf(hostname: string): string | null {
  const bare = hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
  return isIP(bare) ? bare : null;
}
