/**
 * The benchmarks' S3 server in a process of its own, as an S3 server is: in the benchmark's process it would share
 * one thread with the client that sends the uploads being measured, and each would wait on the other.
 *
 *   node -r ./bench/register.js bench/support/s3-server-process.ts   (BENCH_S3_OPTIONS: directory and credentials)
 *
 * Prints `listening <endpoint>` once it listens; ends on SIGTERM, or when its parent goes (its IPC channel closes).
 */
import { startS3Server } from '@sigdesk/storage';

interface Options {
  directory: string;
  accessKeyId: string;
  secretAccessKey: string;
}

async function main(): Promise<void> {
  const options = JSON.parse(process.env.BENCH_S3_OPTIONS ?? '{}') as Options;
  const server = await startS3Server({
    directory: options.directory,
    port: 0,
    region: 'us-east-1',
    credentials: { accessKeyId: options.accessKeyId, secretAccessKey: options.secretAccessKey },
    warn: (message) => console.error(message),
  });
  const stop = () => {
    void server.close().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('disconnect', stop);
  console.log(`listening ${server.endpoint}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
