import 'reflect-metadata';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import { configurationOrExit, contextOrExit, failureOf, parseCommandLine } from './cli-exit.js';
import { CliModule } from './cli.module.js';

/**
 * npm run keys:rotate: adds the next signing key to the database, with the
 * environment of the service (DATABASE_URL, JWT_ALGORITHM,
 * KEY_ENCRYPTION_SECRET, KEY_PUBLISH_AHEAD). With HS256 the stored keys are
 * the RS256 ones that sign id tokens (JWT_SECRET is rotated by hand). Running instances publish it
 * within 30 s (at once on an unknown kid) and sign with it from its time on.
 */
const fail: (message: string) => never = failureOf('keys:rotate');

const USAGE = 'npm run keys:rotate';
const HELP = `Usage: ${USAGE}
Adds the next signing key to the database, with the service's environment (DATABASE_URL, JWT_ALGORITHM,
KEY_ENCRYPTION_SECRET, KEY_PUBLISH_AHEAD): published at once, it signs from KEY_PUBLISH_AHEAD on.
Running instances pick it up within 30 s. Takes no arguments.`;

const { values, positionals } = parseCommandLine({ allowPositionals: true, options: { help: { type: 'boolean', short: 'h' } } }, (problem) =>
  fail(`${problem}; usage: ${USAGE}`),
);
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (positionals.length > 0) fail(`takes no arguments; it uses the service's environment; usage: ${USAGE}`);
const config = configurationOrExit(fail);

// Loading the keys already decrypts them: a wrong KEY_ENCRYPTION_SECRET is one line, not a stack trace.
const app = await contextOrExit(CliModule.forRoot(config, 'keys'), fail);
try {
  const key = await app.get(SigningKeysService).rotate();
  console.log(`Published signing key ${key.kid} (${key.algorithm}, generation ${key.generation}); it signs from ${key.signsFrom.toISOString()}.`);
} finally {
  await app.close();
}
