import { existsSync } from 'node:fs';
import { loadConfig } from './config.js';
import { createLog } from './log.js';
import { startApp, StartupError } from './app.js';

// Entry point: configuration → app → start, and a graceful stop on SIGTERM/SIGINT.

if (existsSync('.env')) process.loadEnvFile('.env');

const loaded = loadConfig(process.env);
if (!loaded.ok) {
  process.stderr.write(
    `The app can't start until its configuration is fixed:\n${loaded.problems.map((p) => `  - ${p}`).join('\n')}\n` +
      'Set these in the environment or in a .env file (see .env.example).\n',
  );
  process.exit(1);
}

const config = loaded.config;
const log = createLog(config.logLevel);

process.on('unhandledRejection', (reason) => {
  log.error({ error: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
});

try {
  const running = await startApp(config, log);
  let signals = 0;
  const stop = (signal: string) => {
    signals += 1;
    if (signals > 1) process.exit(1);
    log.info({ signal }, 'shutting down');
    void running.stop().then(() => {
      log.info('stopped');
      log.flush();
      process.exit(0);
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (err) {
  if (err instanceof StartupError) {
    process.stderr.write(`The app can't start: ${err.message}\n`);
  } else {
    log.fatal({ error: err instanceof Error ? err.message : String(err) }, 'failed to start');
    log.flush();
  }
  process.exit(1);
}
