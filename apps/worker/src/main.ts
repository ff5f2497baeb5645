import { runProcess } from '@sigdesk/runtime';

/** The queue worker alone: intake processing and maintenance. */
void runProcess({ api: false, worker: true });
