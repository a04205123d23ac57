import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { loadConfiguration, loadDotEnv, settlePort, StartupError, type AppConfiguration } from './config/configuration.js';
import { createApp, logsWritten } from './configure-app.js';
import { listen, localUrl } from './http/listen.js';
import { ShutdownService } from './lifecycle/shutdown.service.js';

/**
 * What the person starting the service can fix stops start-up with one line,
 * not a stack trace: a bad setting, an unwritable data folder, a port in use,
 * a database that does not answer. Anything else is a bug, and keeps its stack.
 */
function stopOn(error: unknown): never {
  if (!(error instanceof StartupError)) throw error;
  console.error(`gatehouse: ${error.line}`);
  process.exit(1);
}

let config: AppConfiguration;
let dotEnvRead = false;
try {
  dotEnvRead = loadDotEnv();
  config = loadConfiguration();
} catch (error) {
  stopOn(error);
}

const app = await createApp(config).catch(stopOn);
// SIGTERM and SIGINT: not ready at once, drain, finish what is in flight, flush, exit 0 (ShutdownService).
app.get(ShutdownService).stopOnSignals(app);
if (dotEnvRead) new Logger('Configuration').log('Read .env: the environment wins where both set a variable.');
// PORT=0 takes any free port: say which one.
const port = await listen(app, config).catch(stopOn);
settlePort(config, port);
const url = localUrl(config.host, port);
const everywhere = config.host === '0.0.0.0' || config.host === '::' ? ` (and every other address of this machine: HOST=${config.host})` : '';
const docs = config.docs.enabled ? `; Swagger UI: ${url}/docs` : ' (Swagger UI is off: DOCS_ENABLED=false)';
// The last line at start-up, after the log lines (written in batches): where to go next.
await logsWritten(app);
console.log(`Gatehouse listens on ${url}${everywhere}${docs}`);
