import { existsSync } from 'node:fs';
import { loadConfig } from './config.js';
import { createLog, prettyDestination } from './log.js';
import { startApp, StartupError, type RunningApp } from './app.js';

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
const log = createLog(config.logLevel, config.logFormat === 'pretty' ? await prettyDestination() : undefined);

process.on('unhandledRejection', (reason) => {
  log.error({ error: reason instanceof Error ? reason.message : String(reason) }, 'unhandled rejection');
});

// Signals are handled from the start: a SIGTERM while the app is still starting stops it as soon as it is up.
let running: RunningApp | undefined;
let stopRequested: string | undefined;
let signals = 0;
const stopNow = (app: RunningApp) => {
  void app.stop().then(() => {
    log.info('stopped');
    log.flush();
    process.exit(0);
  });
};
const onSignal = (signal: string) => {
  signals += 1;
  if (signals > 1) process.exit(1);
  log.info({ signal }, 'shutting down');
  stopRequested = signal;
  if (running) stopNow(running);
};
process.on('SIGTERM', () => onSignal('SIGTERM'));
process.on('SIGINT', () => onSignal('SIGINT'));

try {
  running = await startApp(config, log);
  if (stopRequested) stopNow(running);
} catch (err) {
  if (err instanceof StartupError) {
    process.stderr.write(`The app can't start: ${err.message}\n`);
  } else {
    log.fatal({ error: err instanceof Error ? err.message : String(err) }, 'failed to start');
    log.flush();
  }
  process.exit(1);
}
