import { Args, channelOption, Command, Context, flag, stringValue } from '../command';
import { EXIT, line } from '../io';

interface BuildSummary {
  channel: string;
  version: number;
  parentVersion: number | null;
  kind: string;
  status: string;
  changes: string[];
  finishedAt: string | null;
  publishedAt: string | null;
}

export const buildsCommand: Command = {
  name: 'builds',
  summary: 'list database builds, newest first',
  usage: '[--channel C] [--json]',
  description: 'Lists the builds of a channel, newest first: version, status, kind and number of changes.',
  positionals: [],
  options: {
    channel: channelOption,
    json: { type: 'boolean', help: 'one JSON object per build instead of a table' },
  },
  async run(context: Context, args: Args): Promise<number> {
    const channel = stringValue(args, 'channel');
    const api = context.api();
    const builds: BuildSummary[] = [];
    let cursor: string | undefined;
    do {
      const page = await api.get<{ items: BuildSummary[]; nextCursor: string | null }>('/v1/database-builds', {
        channel,
        cursor,
        limit: 100,
      });
      builds.push(...page.items);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);

    const { stdout, stderr } = context.io;
    if (flag(args, 'json')) {
      for (const build of builds) line(stdout, JSON.stringify(build));
      return EXIT.ok;
    }
    if (!builds.length) {
      line(stderr, `no builds${channel ? ` on channel "${channel}"` : ''}`);
      return EXIT.ok;
    }
    const rows = [
      ['VERSION', 'STATUS', 'KIND', 'CHANGES', 'PARENT', 'FINISHED', 'PUBLISHED'],
      ...builds.map((b) => [
        String(b.version),
        b.status,
        b.kind,
        String(b.changes.length),
        b.parentVersion === null ? '-' : String(b.parentVersion),
        b.finishedAt ?? '-',
        b.publishedAt ?? '-',
      ]),
    ];
    const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
    for (const row of rows)
      line(
        stdout,
        row
          .map((cell, column) => cell.padEnd(widths[column]))
          .join('  ')
          .trimEnd(),
      );
    return EXIT.ok;
  },
};
