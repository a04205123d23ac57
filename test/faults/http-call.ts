/** One answer of a service under test: its status, its body as JSON (or `{text}`), its Retry-After, and how long it took. */
export interface Outcome {
  status: number;
  body: Record<string, unknown>;
  retryAfter: string | null;
  ms: number;
}

/**
 * A request to a service of the suite, never waiting for ever (20 s): the
 * suite's loops are bounded in time, and a hang is a failure to see, not to wait out.
 */
export async function callService(url: string, init: RequestInit = {}): Promise<Outcome> {
  const started = performance.now();
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(20_000) });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after'), ms: performance.now() - started };
}
