import { runProcess } from '@sigdesk/runtime';

/** The HTTP API; with `--with-worker` (what `npm start` does) the queue worker runs in the same process. */
void runProcess({ api: true, worker: process.argv.includes('--with-worker') });
