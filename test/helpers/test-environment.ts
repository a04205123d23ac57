/**
 * What every service a test starts runs with, in process (createTestApp) or as
 * a process (startServer): bcrypt at its lowest cost, to keep the suites
 * quick; throttling out of the way, since suites register and fail logins by
 * the dozen from one address (the throttling suite sets its own limits); and
 * no Redis unless a suite asks for it, so counters do not leak between suites;
 * and no drain at SIGTERM (no load balancer is in front of a test's service:
 * the suites that test the drain set SHUTDOWN_DRAIN themselves).
 */
export const TEST_SERVICE_ENVIRONMENT: Record<string, string> = {
  BCRYPT_ROUNDS: '4',
  THROTTLE_REGISTRATIONS: '100000',
  THROTTLE_PASSKEY_CHALLENGES: '100000',
  THROTTLE_LOGIN_FAILURES: '100000',
  THROTTLE_ADDRESS_FAILURES: '100000',
  THROTTLE_ACCOUNT_FAILURES: '100000',
  HASH_CONCURRENCY_PER_ADDRESS: '100000',
  REDIS_URL: '',
  SHUTDOWN_DRAIN: '0',
};
