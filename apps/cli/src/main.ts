import { run } from './cli';

/** The release tooling CLI: `node dist/apps/cli/src/main.js <command>` (`npm run cli -- <command>`). */
const stop = new AbortController();
// the first Ctrl-C stops cleanly (feed --follow saves its cursor, a download removes its partial file); a second
// one ends the process at once
process.once('SIGINT', () => stop.abort());
process.once('SIGTERM', () => stop.abort());

void run(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, signal: stop.signal }).then(
  (code) => {
    process.exitCode = code;
  },
);
