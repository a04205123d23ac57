import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigurationError, loadConfiguration } from '../config/configuration.js';
import { SigningKeysService } from '../tokens/signing-keys.service.js';
import { CliModule } from './cli.module.js';

/**
 * npm run keys:rotate: adds the next signing key to the database, with the
 * environment of the service (DATABASE_URL, JWT_ALGORITHM,
 * KEY_ENCRYPTION_SECRET, KEY_PUBLISH_AHEAD). Running instances publish it
 * within 30 s (at once on an unknown kid) and sign with it from its time on.
 */
function fail(message: string): never {
  console.error(`keys:rotate: ${message}`);
  process.exit(1);
}

if (process.argv.length > 2) fail('takes no arguments; it uses the service\'s environment');
const config = (() => {
  try {
    return loadConfiguration();
  } catch (error) {
    if (error instanceof ConfigurationError) fail(`configuration error: ${error.message}`);
    throw error;
  }
})();
if (config.jwt.algorithm === 'HS256') fail('JWT_ALGORITHM is HS256: tokens are signed with JWT_SECRET, there are no keys to rotate');

const app = await NestFactory.createApplicationContext(CliModule.forRoot(config, 'keys'), { logger: ['error'] });
try {
  const key = await app.get(SigningKeysService).rotate();
  console.log(`Published signing key ${key.kid} (${key.algorithm}, generation ${key.generation}); it signs from ${key.signsFrom.toISOString()}.`);
} catch (error) {
  if (error instanceof ConfigurationError) fail(error.message);
  throw error;
} finally {
  await app.close();
}
