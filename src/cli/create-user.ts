import 'reflect-metadata';
import { ConflictException } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { parseArgs } from 'node:util';
import { PasswordPolicyService } from '../password-policy/password-policy.service.js';
import { PasswordsService } from '../passwords/passwords.service.js';
import { UsersService } from '../users/users.service.js';
import { configurationOrExit, failureOf } from './cli-exit.js';
import { CliModule } from './cli.module.js';
import { isValidUsername, isWellFormedPassword, PASSWORD_FORM_RULE, USERNAME_RULE } from '../account-rules/account-rules.js';
import { readPassword } from './read-password.js';
import { raiseSecurityEvent } from '../security-events/security-event.js';

const USAGE = `Usage: npm run user:create -- <username> [--admin | --service]
The password comes from USER_PASSWORD, or from standard input (prompted, hidden, on a terminal); never from the command line.`;

const fail: (message: string) => never = failureOf('user:create');

const { values, positionals } = (() => {
  try {
    return parseArgs({ allowPositionals: true, options: { admin: { type: 'boolean', default: false }, service: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    return fail(`${(error as Error).message}\n${USAGE}`);
  }
})();
if (values.help) {
  console.log(USAGE);
  process.exit(0);
}
if (positionals.length !== 1 || (values.admin && values.service)) fail(USAGE);

const username = positionals[0];
if (!isValidUsername(username)) fail(`the username must be ${USERNAME_RULE}`);
const config = configurationOrExit(fail);
const password = process.env.USER_PASSWORD ?? (await readPassword(`Password for ${username}: `));
if (!isWellFormedPassword(password)) fail(`the password must be ${PASSWORD_FORM_RULE}`);

const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, 'users'), { logger: ['error'] });
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
