import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { DynamicModule, INestApplicationContext } from '@nestjs/common';
import { loadConfiguration, loadDotEnv, StartupError, type AppConfiguration } from '../config/configuration.js';

/** A command-line tool's way out: one line on stderr, named after the tool, and exit code 1. */
export function failureOf(tool: string): (message: string) => never {
  return (message) => {
    console.error(`${tool}: ${message}`);
    process.exit(1);
  };
}

/**
 * The command line, read by Node's parseArgs; a mistake in it goes to
 * `misuse` as one line: the first sentence of Node's message (it goes on with
 * advice about "--"), lower-cased.
 */
export function parseCommandLine<T extends ParseArgsConfig>(config: T, misuse: (problem: string) => never): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (error) {
    const problem = (error as Error).message.split(/\.(\s|$)/)[0];
    return misuse(problem.charAt(0).toLowerCase() + problem.slice(1));
  }
}

/** The service's configuration (`.env` under the environment, as for the service), or one line saying which variable is wrong. */
export function configurationOrExit(fail: (message: string) => never): AppConfiguration {
  try {
    loadDotEnv();
    return loadConfiguration();
  } catch (error) {
    if (error instanceof StartupError) fail(error.line);
    throw error;
  }
}

/**
 * The tool's Nest context, or the one line of what stopped it (a database that
 * does not answer, keys the secret does not decrypt). Nest loads only here, so
 * a tool can prompt before it spends a second loading it.
 */
export async function contextOrExit(module: DynamicModule, fail: (message: string) => never): Promise<INestApplicationContext> {
  const { NestFactory } = await import('@nestjs/core');
  return NestFactory.createApplicationContext(module, { logger: false, abortOnError: false }).catch((error: unknown) =>
    error instanceof StartupError ? fail(error.line) : Promise.reject(error),
  );
}
