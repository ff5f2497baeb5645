import { ListBucketsCommand } from '@aws-sdk/client-s3';
import { createServer, Server } from 'node:http';
import { Socket } from 'node:net';
import { createS3Client } from './s3-client.factory';

describe(createS3Client.name, () => {
  let server: Server;
  let socket: Promise<Socket>;

  beforeAll(async () => {
    // an S3 server that closes idle connections after 3 s, and says so (Keep-Alive: timeout=3), as node's does
    server = createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'application/xml' });
      response.end('<ListAllMyBucketsResult><Buckets></Buckets></ListAllMyBucketsResult>');
    });
    server.keepAliveTimeout = 3_000;
    socket = new Promise((resolve) => server.once('connection', resolve));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('closes an idle connection before the server would, rather than reuse one the server is closing', async () => {
    const { port } = server.address() as { port: number };
    const client = createS3Client({
      endpoint: `http://127.0.0.1:${port}`,
      region: 'us-east-1',
      accessKeyId: 'spec',
      secretAccessKey: 'spec',
    });
    try {
      await client.send(new ListBucketsCommand({}));
      const connection = await socket;
      const idleSince = Date.now();
      // "end" on the server's side is the client's FIN; a connection the server times out closes without one
      const closedBy = await new Promise<{ by: string; afterMs: number }>((resolve) => {
        connection.once('end', () => resolve({ by: 'client', afterMs: Date.now() - idleSince }));
        connection.once('close', () => resolve({ by: 'server', afterMs: Date.now() - idleSince }));
      });
      expect(closedBy.by).toBe('client');
      expect(closedBy.afterMs).toBeLessThan(3_000);
    } finally {
      client.destroy();
    }
  }, 15_000);
});
