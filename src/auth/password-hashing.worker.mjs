// Runs in Piscina's worker threads (see passwords.service.ts): bcrypt off the
// event loop. Plain JavaScript, so the same file serves the built app and the
// tests, which run the TypeScript sources.
import bcrypt from 'bcryptjs';

/** @param {{ operation: 'hash', password: string, rounds: number } | { operation: 'compare', password: string, hash: string }} task */
export default function passwordHashingTask(task) {
  // The synchronous calls: in a worker there is no event loop to keep free.
  if (task.operation === 'hash') return bcrypt.hashSync(task.password, task.rounds);
  return bcrypt.compareSync(task.password, task.hash);
}
