import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Args, Command, Context, flag, stringValue } from '../command';
import { CliError, EXIT, line, UsageError } from '../io';

const STATUSES = ['approved', 'built', 'validating', 'validation_failed', 'validated', 'rejected'];
const PAGE_SIZE = 100;

interface FeedPage {
  items: Array<Record<string, unknown>>;
  nextCursor: string | number | null;
}

interface FeedState {
  feed: 'signature-changes';
  status: string;
  cursor: string;
  updatedAt: string;
}

async function readState(file: string, status: string): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CliError('state_file_unreadable', `Cannot read ${file}: ${(error as Error).message}`);
  }
  let state: Partial<FeedState>;
  try {
    state = JSON.parse(text) as Partial<FeedState>;
  } catch {
    state = {};
  }
  // starting over silently would hand every change again to the tooling: refuse instead
  if (state?.feed !== 'signature-changes' || typeof state.cursor !== 'string' || !/^\d+$/.test(state.cursor)) {
    throw new CliError('bad_state_file', `${file} is not a feed state file; remove it to start from the beginning.`);
  }
  if (state.status !== status) {
    throw new CliError(
      'state_file_mismatch',
      `${file} follows the "${state.status}" feed, not "${status}"; use another --state-file.`,
    );
  }
  return state.cursor;
}

/** Written whole then renamed: an interrupted run leaves the previous state, never half of one. */
async function writeState(file: string, status: string, cursor: string): Promise<void> {
  const state: FeedState = { feed: 'signature-changes', status, cursor, updatedAt: new Date().toISOString() };
  await mkdir(dirname(file), { recursive: true });
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state)}\n`);
  await rename(temporary, file);
}

export const feedCommand: Command = {
  name: 'feed',
  summary: 'print approved signature changes, oldest first, resumable',
  usage: '[--status S] [--cursor C] [--state-file F] [--follow [--interval SECONDS]]',
  description:
    'Prints the signature changes of the feed, one JSON object per line on stdout, oldest first, then the next\n' +
    'cursor on stderr ("next cursor: N"). With --state-file the cursor is read from the file at start and saved\n' +
    'after each page printed, so that the next run prints only what came after: a change is printed at least\n' +
    'once (a run stopped between printing a page and saving it prints that page again).\n' +
    'With --follow it keeps polling for new changes until stopped (Ctrl-C).',
  positionals: [],
  options: {
    status: { type: 'string', value: 'S', help: `the feed: ${STATUSES.join(', ')} (default approved)` },
    cursor: { type: 'string', value: 'C', help: 'start after this cursor (overrides the state file)' },
    'state-file': { type: 'string', value: 'F', help: 'read the cursor from F and save it back' },
    follow: { type: 'boolean', help: 'keep polling for new changes until stopped' },
    interval: { type: 'string', value: 'SECONDS', help: 'with --follow: time between polls (default 5)' },
  },
  async run(context: Context, args: Args): Promise<number> {
    const status = stringValue(args, 'status') ?? 'approved';
    if (!STATUSES.includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}.`, 'feed');
    const given = stringValue(args, 'cursor');
    if (given !== undefined && !/^\d{1,18}$/.test(given))
      throw new UsageError('--cursor must be a cursor number.', 'feed');
    const intervalText = stringValue(args, 'interval') ?? '5';
    const interval = Number(intervalText);
    if (!Number.isFinite(interval) || interval <= 0 || interval > 3600) {
      throw new UsageError('--interval must be a number of seconds between 0 and 3600.', 'feed');
    }
    const follow = flag(args, 'follow');
    const stateFile = stringValue(args, 'state-file');
    const { io } = context;
    const api = context.api();

    let cursor = given ?? (stateFile === undefined ? undefined : await readState(stateFile, status));
    let printed = 0;
    try {
      for (;;) {
        const page = await api.get<FeedPage>('/v1/signature-changes', { status, cursor, limit: PAGE_SIZE });
        for (const item of page.items) line(io.stdout, JSON.stringify(item));
        printed += page.items.length;
        const next = page.nextCursor === null ? undefined : String(page.nextCursor);
        if (next !== undefined && next !== cursor) {
          cursor = next;
          if (stateFile !== undefined) await writeState(stateFile, status, cursor);
        }
        if (page.items.length >= PAGE_SIZE) continue;
        if (!follow) break;
        await sleep(interval * 1000, undefined, { signal: io.signal });
      }
    } catch (error) {
      // --follow runs until stopped: being stopped is how it ends
      if (!(follow && io.signal?.aborted)) throw error;
    } finally {
      if (follow) line(io.stderr, `${printed} change${printed === 1 ? '' : 's'} printed`);
      line(io.stderr, `next cursor: ${cursor ?? 'none'}`);
    }
    return EXIT.ok;
  },
};
