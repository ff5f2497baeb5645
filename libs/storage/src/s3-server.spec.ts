import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, get, IncomingMessage } from 'node:http';
import { createServer, Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { createS3Client } from './s3-client.factory';
import { S3Server, startS3Server } from './s3-server';
import { CHALLENGE_HEADER, PROOF_HEADER, serverProof } from './s3-signature';

const credentials = { accessKeyId: 'server-spec', secretAccessKey: 'a secret of the spec, long enough' };

function request(url: string, options: { agent?: Agent; headers?: Record<string, string> } = {}) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; body: string }>((resolve, reject) => {
    get(url, options, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, body }));
    }).on('error', reject);
  });
}

describe(startS3Server.name, () => {
  let directory: string;
  let server: S3Server;
  let listBuckets: string;

  beforeAll(async () => {
    directory = mkdtempSync(join(tmpdir(), 'sigdesk-s3-server-spec-'));
    server = await startS3Server({ directory, port: 0, region: 'us-east-1', credentials });
    const client = createS3Client({ endpoint: server.endpoint, region: 'us-east-1', ...credentials });
    listBuckets = await getSignedUrl(client, new ListBucketsCommand({}), { expiresIn: 300 });
    client.destroy();
  });
  afterAll(async () => {
    await server?.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('rejects a port in use with an error naming it, rather than crashing on an unhandled error event', async () => {
    const squatter: Server = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    try {
      await expect(startS3Server({ directory, port, region: 'us-east-1', credentials })).rejects.toMatchObject({
        code: 'EADDRINUSE',
        message: expect.stringContaining(`cannot listen on 127.0.0.1:${port}`),
      });
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('keeps an idle connection open past node’s 5 s default, so that the client is the one to close it', async () => {
    const sockets: Socket[] = [];
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const createConnection = agent.createConnection.bind(agent);
    agent.createConnection = ((...args: Parameters<typeof createConnection>) => {
      const socket = createConnection(...args) as Socket;
      sockets.push(socket);
      return socket;
    }) as typeof agent.createConnection;
    try {
      expect((await request(listBuckets, { agent })).status).toBe(200);
      await sleep(7_000);
      expect((await request(listBuckets, { agent })).status).toBe(200);
      // one connection, reused after 7 s idle: the server did not close it under the client
      expect(sockets).toHaveLength(1);
    } finally {
      agent.destroy();
    }
  }, 20_000);

  it('proves that it knows the secret to a signed challenge, and answers nothing to an unsigned one', async () => {
    const challenge = 'a challenge of the spec';
    const signed = await request(listBuckets, { headers: { [CHALLENGE_HEADER]: challenge } });
    expect(signed.status).toBe(200);
    expect(signed.headers[PROOF_HEADER]).toBe(serverProof(credentials.secretAccessKey, challenge));

    const unsigned = await request(`${server.endpoint}/`, { headers: { [CHALLENGE_HEADER]: challenge } });
    expect(unsigned.status).toBe(403);
    expect(unsigned.headers[PROOF_HEADER]).toBeUndefined();
  });
});
