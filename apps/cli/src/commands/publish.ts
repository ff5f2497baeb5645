import { Args, channelOption, Command, Context, parseVersion, stringValue } from '../command';
import { EXIT, line } from '../io';

interface PublishResult {
  channel: string;
  version: number;
  alreadyPublished: boolean;
  casesFixed: number;
}

export const publishCommand: Command = {
  name: 'publish',
  summary: 'publish a stored build as the current database release',
  usage: '<version> [--channel C]',
  description:
    'Publishes a stored build: it becomes the current database release of its channel and the cases it fixes are\n' +
    'resolved. Publishing a build that is already published changes nothing and succeeds (safe to retry).\n' +
    'Prints the API’s answer as JSON on stdout and a summary on stderr.',
  positionals: ['version'],
  options: { channel: channelOption },
  async run(context: Context, args: Args): Promise<number> {
    const version = parseVersion(args.positionals[0], 'publish');
    const result = await context
      .api()
      .post<PublishResult>(`/v1/database-builds/${version}/publish`, { channel: stringValue(args, 'channel') });
    line(context.io.stdout, JSON.stringify(result, null, 2));
    line(
      context.io.stderr,
      result.alreadyPublished
        ? `database version ${result.version} of channel "${result.channel}" was already published: nothing changed`
        : `published database version ${result.version} of channel "${result.channel}"; ` +
            `${result.casesFixed} case${result.casesFixed === 1 ? '' : 's'} fixed`,
    );
    return EXIT.ok;
  },
};
