import { mkdirSync } from 'node:fs';
import S3rver from 's3rver';

export const EMBEDDED_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

export interface EmbeddedS3 {
  endpoint: string;
  close(): Promise<void>;
}

/**
 * Starts an S3 server on loopback, so that sigdesk runs with PostgreSQL and Redis alone. When the port is
 * already taken by another sigdesk process of the same installation (API and worker started apart), that
 * server is used instead.
 */
export async function startEmbeddedS3(directory: string, port: number): Promise<EmbeddedS3> {
  mkdirSync(directory, { recursive: true });
  const server = new S3rver({ address: '127.0.0.1', port, directory, silent: true, allowMismatchedSignatures: true });
  try {
    const { port: bound } = (await server.run()) as { port: number };
    return { endpoint: `http://127.0.0.1:${bound}`, close: () => server.close() };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    return { endpoint: `http://127.0.0.1:${port}`, close: async () => undefined };
  }
}
