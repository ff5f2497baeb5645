import { readFile } from 'node:fs/promises';
import { Api } from './api';
import { CliError, Io, line, UsageError } from './io';
import { fingerprint, loadPublicKey } from './verification';
import type { KeyObject } from 'node:crypto';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** The value's placeholder in the help, e.g. DIR. */
  value?: string;
  help: string;
}

export interface Args {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

export interface Context {
  io: Io;
  url: string;
  /** The API client; throws when no API key is configured. */
  api(): Api;
}

export interface Command {
  name: string;
  summary: string;
  /** After the command name, e.g. `<version> --out DIR [--channel C]`. */
  usage: string;
  description: string;
  positionals: string[];
  options: Record<string, OptionSpec>;
  run(context: Context, args: Args): Promise<number>;
}

export const PROGRAM = 'sigdesk';

export const channelOption: OptionSpec = { type: 'string', value: 'C', help: 'database channel (default: the API’s)' };

export function stringValue(args: Args, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function flag(args: Args, name: string): boolean {
  return args.values[name] === true;
}

export function parseVersion(text: string, command: string): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > 2_000_000_000) {
    throw new UsageError(`"${text}" is not a database version (a positive integer).`, command);
  }
  return Number(text);
}

/** The key that verifies manifests: pinned from a file (what release tooling should do), or asked of the API. */
export async function signingKey(context: Context, file: string | undefined): Promise<KeyObject> {
  if (file !== undefined) {
    let pem: string;
    try {
      pem = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError('public_key_unreadable', `Cannot read ${file}: ${(error as Error).message}`);
    }
    return loadPublicKey(pem, file);
  }
  const answer = await context.api().get<{ algorithm: string; publicKey: string }>('/v1/database-builds/signing-key');
  const key = loadPublicKey(answer.publicKey, 'the signing key the API gave');
  line(
    context.io.stderr,
    `warning: verifying with the key the API gave (${fingerprint(key)}); pin it with --public-key FILE`,
  );
  return key;
}
