import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AppConfig } from '@sigdesk/config';

/**
 * The Ed25519 key that signs every manifest: `SIGDESK_SIGNING_KEY`, or (for development) one generated on the
 * first start and kept under the data folder. Processes on several machines must be given the same key.
 */
@Injectable()
export class SigningKeys implements OnApplicationBootstrap {
  private readonly logger = new Logger(SigningKeys.name);
  private key?: KeyObject;

  constructor(private readonly config: AppConfig) {}

  /** On the first start, not on the first build: the public key is there for release tooling from the start. */
  onApplicationBootstrap(): void {
    this.privateKey();
  }

  privateKey(): KeyObject {
    this.key ??= this.load();
    return this.key;
  }

  publicKeyPem(): string {
    return createPublicKey(this.privateKey()).export({ type: 'spki', format: 'pem' }).toString();
  }

  private load(): KeyObject {
    if (this.config.builds.signingKeyPem) return this.ed25519(createPrivateKey(this.config.builds.signingKeyPem));
    const path = join(this.config.dataDir, 'signing-key.pem');
    try {
      return this.ed25519(createPrivateKey(readFileSync(path, 'utf8')));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    mkdirSync(this.config.dataDir, { recursive: true });
    const { privateKey } = generateKeyPairSync('ed25519');
    // written whole under a name of its own, then linked into place: a process starting at the same time reads
    // either no key or the whole key, never a file still being written
    const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
    writeFileSync(draft, privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    try {
      linkSync(draft, path);
      this.logger.warn(`generated a signing key at ${path}; set SIGDESK_SIGNING_KEY in production`);
      return privateKey;
    } catch (error) {
      // another process generated it first: use theirs
      if ((error as NodeJS.ErrnoException).code === 'EEXIST')
        return this.ed25519(createPrivateKey(readFileSync(path, 'utf8')));
      throw error;
    } finally {
      rmSync(draft, { force: true });
    }
  }

  private ed25519(key: KeyObject): KeyObject {
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('SIGDESK_SIGNING_KEY must be an Ed25519 private key');
    return key;
  }
}
