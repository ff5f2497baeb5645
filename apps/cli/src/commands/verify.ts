import { stat } from 'node:fs/promises';
import { Args, Command, Context, parseVersion, signingKey, stringValue } from '../command';
import { CliError } from '../io';
import { reportVerification, verifyArtifact } from '../verification';

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'verify a downloaded build folder offline',
  usage: '<dir> [--public-key FILE] [--version N] [--channel C]',
  description:
    'Verifies a build folder (manifest.json, manifest.sig and the files the manifest lists): the manifest’s\n' +
    'Ed25519 signature, and each file’s size and SHA-256 against the manifest. With --public-key nothing is asked\n' +
    'of the API; without it, the API gives the key. --version and --channel also require the manifest to be that\n' +
    'build’s (an older, validly signed build put in its place fails).\n' +
    'Exit code 0 when verified, 2 when a check failed, 1 on other errors.',
  positionals: ['dir'],
  options: {
    'public-key': { type: 'string', value: 'FILE', help: 'the public key (PEM) that must have signed the manifest' },
    version: { type: 'string', value: 'N', help: 'require the manifest to be of database version N' },
    channel: { type: 'string', value: 'C', help: 'require the manifest to be of channel C' },
  },
  async run(context: Context, args: Args): Promise<number> {
    const dir = args.positionals[0];
    const info = await stat(dir).catch(() => undefined);
    if (!info?.isDirectory()) throw new CliError('not_a_folder', `${dir} is not a folder.`);
    const versionText = stringValue(args, 'version');
    const version = versionText === undefined ? undefined : parseVersion(versionText, 'verify');
    const key = await signingKey(context, stringValue(args, 'public-key'));
    const verification = await verifyArtifact(dir, key, { version, channel: stringValue(args, 'channel') });
    return reportVerification(context.io, dir, verification);
  },
};
