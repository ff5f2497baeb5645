import 'reflect-metadata';
import { AppConfig, ConfigError } from '@sigdesk/config';
import { SigdeskProcess, StartedSigdesk, startSigdesk } from './bootstrap';
import { formatStartupSummary } from './startup-summary';

/**
 * The body of every process's main.ts: a configuration error stops it with a message naming the variable; once
 * ready it prints where everything is; SIGTERM or SIGINT stop the application first, then what it ran on (the
 * queues' connection, the embedded PostgreSQL), and end the process by that signal.
 */
export async function runProcess(roles: SigdeskProcess): Promise<void> {
  // .env is read when present; real environment variables win
  try {
    process.loadEnvFile?.();
  } catch {
    // no .env file
  }
  let config: AppConfig;
  try {
    config = AppConfig.fromEnvironment();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(78);
    }
    throw error;
  }
  let started: StartedSigdesk;
  try {
    started = await startSigdesk(config, roles);
  } catch (error) {
    process.stderr.write(`sigdesk failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
  process.stdout.write(`\n${formatStartupSummary(started.summary)}\n\n`);

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      const again = () => process.exit(130);
      // a second signal while stopping ends the process at once
      process.once('SIGTERM', again).once('SIGINT', again);
      started
        .close()
        .catch((error: unknown) => process.stderr.write(`sigdesk did not stop cleanly: ${String(error)}\n`))
        .finally(() => {
          process.removeListener('SIGTERM', again).removeListener('SIGINT', again);
          process.kill(process.pid, signal);
        });
    });
  }
}
