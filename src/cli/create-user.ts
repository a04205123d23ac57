import 'reflect-metadata';
import { isValidUsername, isWellFormedPassword, PASSWORD_FORM_RULE, USERNAME_RULE } from '../account-rules/account-rules.js';
import { configurationOrExit, contextOrExit, failureOf, parseCommandLine } from './cli-exit.js';
import { readPassword } from './read-password.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';

const USAGE = 'npm run user:create -- <username> [--admin | --service]';
const HELP = `Usage: ${USAGE}
The password comes from USER_PASSWORD, or from standard input (on a terminal: prompted twice, hidden); never from the command line.`;

const fail: (message: string) => never = failureOf('user:create');
/** A mistake in the command line: what is wrong and the usage, in one line. */
const misuse = (problem: string): never => fail(`${problem}; usage: ${USAGE}`);

const { values, positionals } = parseCommandLine(
  { allowPositionals: true, options: { admin: { type: 'boolean', default: false }, service: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } },
  misuse,
);
if (values.help) {
  console.log(HELP);
  process.exit(0);
}
if (positionals.length === 0) misuse('a username is required');
if (positionals.length > 1) misuse(`one username, not ${positionals.length} (${positionals.join(' ')})`);
if (values.admin && values.service) misuse('--admin and --service exclude each other');

const username = positionals[0];
if (!isValidUsername(username)) fail(`the username must be ${USERNAME_RULE}`);
const config = configurationOrExit(fail);

/** From USER_PASSWORD, or standard input; on a terminal it is asked twice, since a typo cannot be seen. */
async function newPassword(): Promise<string> {
  if (process.env.USER_PASSWORD !== undefined) return process.env.USER_PASSWORD;
  const password = await readPassword(`Password for ${username}: `);
  if (!process.stdin.isTTY || !isWellFormedPassword(password)) return password;
  if ((await readPassword('The same password again: ')) !== password) fail('the two passwords differ; nothing was created');
  return password;
}
const password = await newPassword();
// An empty standard input (`< /dev/null`, a pipe from a command that printed nothing) gave no password at all: "too short" would mislead.
if (password === '') fail('no password was given: set USER_PASSWORD, or write it as one line on standard input');
if (!isWellFormedPassword(password)) fail(`the password must be ${PASSWORD_FORM_RULE}`);

// Nest, TypeORM and the hashing pool load only now: the prompt above came without waiting for them.
const [{ ConflictException }, { EventEmitter2 }, { CliModule }, { PasswordPolicyService }, { PasswordsService }, { UsersService }] = await Promise.all([
  import('@nestjs/common'),
  import('@nestjs/event-emitter'),
  import('./cli.module.js'),
  import('../password-policy/password-policy.service.js'),
  import('../passwords/passwords.service.js'),
  import('../users/users.service.js'),
]);
const app = await contextOrExit(CliModule.forRoot(config, 'users'), fail);
try {
  // service: an account a resource server uses for introspection.
  const role = values.admin ? 'admin' : values.service ? 'service' : 'user';
  const refusal = await app.get(PasswordPolicyService).refusalOf(password, username);
  if (refusal) fail(`the password ${refusal}`);
  const passwordHash = await app.get(PasswordsService).hashPassword(password);
  const user = await app.get(UsersService).create({ username, passwordHash, role });
  // Stored by the audit trail before app.close() returns.
  raiseSecurityEvent(app.get(EventEmitter2), { type: 'account.registered', subjectId: user.id, details: { username: user.username, role, via: 'cli' } });
  console.log(`Created ${role} "${user.username}" with id ${user.id}.`);
} catch (error) {
  if (error instanceof ConflictException) fail(`the username "${username}" is already taken`);
  throw error;
} finally {
  await app.close();
}
