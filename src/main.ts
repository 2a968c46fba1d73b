import 'dotenv/config';
import { ConfigError, loadConfig } from './shared/config';
import { createLogger, type Logger } from './shared/logger';
import { describeStartupFailure } from './shared/startup-error';
import { startService } from './server';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);
  process.on('unhandledRejection', (reason) => logger.error({ err: reason }, 'unhandled promise rejection'));

  // Signals are handled from the first moment: one arriving during start-up waits for the
  // service to be up, then shuts it down cleanly.
  const starting = startService(config, logger);
  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'signal received');
    starting
      .then((service) => service.close())
      .then(
        () => process.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  try {
    await starting;
  } catch (error) {
    failStartup(logger, error);
  }
}

/** One line naming the cause and what to do; the stack only for what we cannot explain. */
function failStartup(logger: Logger, error: unknown): never {
  const known = describeStartupFailure(error);
  if (known) logger.fatal({ reason: known.reason }, known.message);
  else logger.fatal({ err: error }, 'start-up failed');
  process.exit(1);
}

main().catch((error: unknown) => {
  process.stderr.write(`Start-up failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
