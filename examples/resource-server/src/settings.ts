/** What the resource server needs to know of Gatehouse, from the environment. */
export interface Settings {
  port: number;
  /** Gatehouse's base URL: discovery metadata at /.well-known/openid-configuration. */
  gatehouseUrl: string;
  /** The `aud` Gatehouse writes (JWT_AUDIENCE there, `gatehouse` by default). */
  audience: string;
  /** This API's confidential client at Gatehouse, for introspection (the routes that need the current truth): RFC 7662 §2.1. */
  introspection: { clientId: string; clientSecret: string } | null;
  /** How long jose waits before fetching the key set again for an unknown kid (its default: 30 s). */
  jwksCooldownMs: number;
  clockToleranceSeconds: number;
  /** At start-up, how often discovery is tried while Gatehouse does not answer (it may be starting beside this API), and how far apart. */
  discovery: { attempts: number; retryDelayMs: number };
  /** The URL clients call this API at (PUBLIC_URL), which DPoP proofs name in `htu`; unset: the Host header of each request. */
  publicUrl: string | null;
}

export function readSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const gatehouseUrl = env.GATEHOUSE_URL?.replace(/\/+$/, '');
  if (!gatehouseUrl) throw new Error('GATEHOUSE_URL is required (Gatehouse’s base URL, such as https://auth.example.com)');
  const { INTROSPECTION_CLIENT_ID: clientId, INTROSPECTION_CLIENT_SECRET: clientSecret } = env;
  return {
    port: Number(env.PORT ?? 4000),
    gatehouseUrl,
    audience: env.AUDIENCE || 'gatehouse',
    introspection: clientId && clientSecret ? { clientId, clientSecret } : null,
    jwksCooldownMs: Number(env.JWKS_COOLDOWN_MS ?? 30_000),
    clockToleranceSeconds: Number(env.CLOCK_TOLERANCE_SECONDS ?? 5),
    publicUrl: env.PUBLIC_URL?.replace(/\/+$/, '') || null,
    discovery: { attempts: Number(env.DISCOVERY_ATTEMPTS ?? 30), retryDelayMs: Number(env.DISCOVERY_RETRY_MS ?? 2000) },
  };
}
