import { parseArgs, ParseArgsConfig } from 'node:util';
import { Api } from './api';
import { Args, Command, Context, OptionSpec, PROGRAM } from './command';
import { buildsCommand } from './commands/builds';
import { downloadCommand } from './commands/download';
import { feedCommand } from './commands/feed';
import { importCommand } from './commands/import';
import { publishCommand } from './commands/publish';
import { signingKeyCommand } from './commands/signing-key';
import { verifyCommand } from './commands/verify';
import { CliError, EXIT, Io, line, Output, UsageError } from './io';

export type { Io, Output } from './io';
export { EXIT } from './io';

export const COMMANDS: Command[] = [
  feedCommand,
  buildsCommand,
  downloadCommand,
  verifyCommand,
  publishCommand,
  signingKeyCommand,
  importCommand,
];

const DEFAULT_URL = 'http://127.0.0.1:3000';

const GLOBAL_OPTIONS: Record<string, OptionSpec> = {
  url: { type: 'string', value: 'URL', help: `the API (default: $SIGDESK_URL, else ${DEFAULT_URL})` },
  key: { type: 'string', value: 'KEY', help: 'API key with the release role (default: $SIGDESK_API_KEY)' },
  help: { type: 'boolean', short: 'h', help: 'this help' },
};

function optionLines(options: Record<string, OptionSpec>): string[] {
  const rows = Object.entries(options).map(([name, spec]) => [
    `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.value ? ` ${spec.value}` : ''}`,
    spec.help,
  ]);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, help]) => `  ${left.padEnd(width)}  ${help}`);
}

function programHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `Usage: ${PROGRAM} <command> [options]`,
    '',
    'The release tooling client of sigdesk: approved signature changes, database builds, their verification and',
    'their publication; and rule packs in (an admin key).',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Options of every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    `Run "${PROGRAM} <command> --help" for a command's options. Prefer $SIGDESK_API_KEY to --key: a command line`,
    'is visible to other users of the machine.',
    'Exit codes: 0 done (verified), 1 error, 2 verification failed.',
    '',
  ].join('\n');
}

function commandHelp(command: Command): string {
  return [
    `Usage: ${PROGRAM} ${command.name}${command.usage ? ` ${command.usage}` : ''}`,
    '',
    command.description,
    '',
    'Options:',
    ...optionLines({ ...command.options, ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}

/** The command name (the first word that is not an option nor a global option's value) and the other words. */
function splitCommand(argv: string[]): { name?: string; rest: string[] } {
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') break;
    if (word === '--url' || word === '--key') i++;
    else if (!word.startsWith('-')) return { name: word, rest: [...argv.slice(0, i), ...argv.slice(i + 1)] };
  }
  return { rest: argv };
}

function parse(command: Command, argv: string[]): Args {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, spec] of Object.entries({ ...command.options, ...GLOBAL_OPTIONS })) {
    options[name] = spec.short ? { type: spec.type, short: spec.short } : { type: spec.type };
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    return { values: values as Args['values'], positionals };
  } catch (error) {
    throw new UsageError((error as Error).message, command.name);
  }
}

function report(error: unknown, stderr: Output): number {
  if (!(error instanceof CliError)) {
    line(stderr, `error: ${error instanceof Error ? error.message : String(error)}`);
    return EXIT.error;
  }
  line(stderr, `error ${error.code}: ${error.message}`);
  for (const [name, value] of Object.entries(error.details ?? {})) line(stderr, `  ${name}: ${JSON.stringify(value)}`);
  if (error instanceof UsageError) {
    line(stderr, `Run "${PROGRAM} ${error.command ? `${error.command} ` : ''}--help" for the usage.`);
  }
  return error.exitCode;
}

/** Runs one command line; returns the exit code (0 done, 1 error, 2 verification failed). Never throws. */
export async function run(argv: string[], io: Io): Promise<number> {
  try {
    const { name, rest } = splitCommand(argv);
    if (name === undefined || name === 'help') {
      const topic = name === 'help' ? COMMANDS.find((c) => c.name === rest[0]) : undefined;
      if (topic) {
        io.stdout.write(commandHelp(topic));
        return EXIT.ok;
      }
      const asked = name === 'help' || rest.includes('--help') || rest.includes('-h');
      (asked ? io.stdout : io.stderr).write(programHelp());
      return asked ? EXIT.ok : EXIT.error;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) throw new UsageError(`"${name}" is not a command: ${COMMANDS.map((c) => c.name).join(', ')}.`);
    const args = parse(command, rest);
    if (args.values.help) {
      io.stdout.write(commandHelp(command));
      return EXIT.ok;
    }
    if (args.positionals.length !== command.positionals.length) {
      throw new UsageError(
        command.positionals.length
          ? `${command.name} takes ${command.positionals.map((p) => `<${p}>`).join(' ')}.`
          : `${command.name} takes no argument, got "${args.positionals.join(' ')}".`,
        command.name,
      );
    }
    return await command.run(context(io, args), args);
  } catch (error) {
    return report(error, io.stderr);
  }
}

function context(io: Io, args: Args): Context {
  const env = io.env ?? process.env;
  const url = (typeof args.values.url === 'string' ? args.values.url : undefined) || env.SIGDESK_URL || DEFAULT_URL;
  const key = (typeof args.values.key === 'string' ? args.values.key : undefined) || env.SIGDESK_API_KEY;
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
    throw new UsageError(`"${url}" is not an http(s) URL (--url, $SIGDESK_URL).`);
  }
  let api: Api | undefined;
  return {
    io,
    url,
    api() {
      if (!key) throw new CliError('no_api_key', 'No API key: set $SIGDESK_API_KEY or pass --key.');
      api ??= new Api(url, key, io.signal);
      return api;
    },
  };
}
