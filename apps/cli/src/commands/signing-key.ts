import { Command, Context } from '../command';
import { EXIT, line } from '../io';
import { fingerprint, loadPublicKey } from '../verification';

export const signingKeyCommand: Command = {
  name: 'signing-key',
  summary: 'print the public key (PEM) that verifies build manifests',
  usage: '',
  description:
    'Prints the Ed25519 public key that signs every build manifest, in PEM, on stdout, and its fingerprint on\n' +
    'stderr. Save it once, check its fingerprint out of band, and pin it: download/verify --public-key FILE.',
  positionals: [],
  options: {},
  async run(context: Context): Promise<number> {
    const answer = await context.api().get<{ algorithm: string; publicKey: string }>('/v1/database-builds/signing-key');
    const key = loadPublicKey(answer.publicKey, 'the signing key the API gave');
    context.io.stdout.write(answer.publicKey.endsWith('\n') ? answer.publicKey : `${answer.publicKey}\n`);
    line(context.io.stderr, `${answer.algorithm} ${fingerprint(key)}`);
    return EXIT.ok;
  },
};
