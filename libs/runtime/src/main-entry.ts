import 'reflect-metadata';
import { AppConfig, ConfigError } from '@sigdesk/config';
import { SigdeskProcess, startSigdesk } from './bootstrap';

/** The body of every process's main.ts: a configuration error stops it with a message naming the variable. */
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
  try {
    await startSigdesk(config, roles);
  } catch (error) {
    process.stderr.write(`sigdesk failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  }
}
