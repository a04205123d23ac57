import { ConfigurationError, loadConfiguration, type AppConfiguration } from '../config/configuration.js';

/** A command-line tool's way out: one line on stderr, named after the tool, and exit code 1. */
export function failureOf(tool: string): (message: string) => never {
  return (message) => {
    console.error(`${tool}: ${message}`);
    process.exit(1);
  };
}

/** The service's configuration, or one line saying which variable is wrong. */
export function configurationOrExit(fail: (message: string) => never): AppConfiguration {
  try {
    return loadConfiguration();
  } catch (error) {
    if (error instanceof ConfigurationError) fail(`configuration error: ${error.message}`);
    throw error;
  }
}
