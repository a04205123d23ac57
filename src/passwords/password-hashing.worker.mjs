// Runs in Piscina's worker threads (see passwords.service.ts): bcrypt off the
// event loop. Plain JavaScript, so the same file serves the built app and the
// tests, which run the TypeScript sources.
import { setPriority } from 'node:os';
import bcrypt from 'bcryptjs';

// On Linux, priority 0 is the calling thread: hashing yields the CPU to the
// event loop, so other routes keep their latency during a login storm, while
// idle cores still go to bcrypt. Where the OS refuses, hashing runs as it is.
try {
  setPriority(0, 10);
} catch {
  // not permitted here: keep the default priority
}

/**
 * The result (the hash; or the index of the first of the passwords that
 * matches the hash, -1 when none does), and how long bcrypt ran: the caller
 * subtracts it from the time it waited for the answer to learn how long the
 * task queued for a thread.
 * @param {{ operation: 'hash', password: string, rounds: number } | { operation: 'compare', passwords: string[], hash: string }} task
 */
export default function passwordHashingTask(task) {
  const started = performance.now();
  // The synchronous calls: in a worker there is no event loop to keep free.
  const value = task.operation === 'hash' ? bcrypt.hashSync(task.password, task.rounds) : task.passwords.findIndex((password) => bcrypt.compareSync(password, task.hash));
  return { value, runMilliseconds: performance.now() - started };
}
