import { createServer as createHttpServer, IncomingHttpHeaders, Server as HttpServer, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';
import { sql } from 'kysely';
import type { CaseStatus } from '@sigdesk/db';
import { CaseNotifier } from '@sigdesk/notifications';
import { JobQueueService } from '@sigdesk/queues';
import { SeededCustomer, submissionForm, TestEnvironment } from '@sigdesk/testing';

/** An address outside every refused range (example.com's), that the tests never connect to. */
export const PUBLIC_ADDRESS = '93.184.215.14';

export interface ReceivedRequest {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  json: unknown;
}

/** A customer's receiver on loopback: records each request and lets the test answer it (200 by default). */
export class Receiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (request: ReceivedRequest, res: ServerResponse) => void = (_request, res) => res.writeHead(200).end('ok');

  private constructor(private readonly server: HttpServer) {}

  static async start(): Promise<Receiver> {
    const server = createHttpServer();
    const receiver = new Receiver(server);
    server.on('request', (req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        let json: unknown = null;
        try {
          json = JSON.parse(body);
        } catch {
          // recorded as it came
        }
        const request = { path: req.url ?? '', headers: req.headers, body, json };
        receiver.requests.push(request);
        receiver.respond(request, res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * A plain TCP server on loopback that accepts and then does what the test says (by default nothing: a tarpit that
 * never answers). Counts connections, the most open at once, and the delivery ids of the requests it was sent.
 */
export class TcpListener {
  connections = 0;
  open = 0;
  maxOpen = 0;
  readonly deliveries: Array<{ deliveryId: string; at: number }> = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: TcpServer) {}

  static async start(onConnection: (socket: Socket) => void = () => undefined): Promise<TcpListener> {
    const server = createTcpServer();
    const listener = new TcpListener(server);
    server.on('connection', (socket) => {
      listener.connections += 1;
      listener.open += 1;
      listener.maxOpen = Math.max(listener.maxOpen, listener.open);
      listener.sockets.add(socket);
      const connectedAt = Date.now();
      let head = '';
      let recorded = false;
      socket.on('data', (chunk: Buffer) => {
        if (recorded || head.length > 16_384) return;
        head += chunk.toString('latin1');
        const id = /sigdesk-delivery: ([0-9a-f-]{36})/i.exec(head)?.[1];
        if (id) {
          recorded = true;
          listener.deliveries.push({ deliveryId: id, at: connectedAt });
        }
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        listener.open -= 1;
        listener.sockets.delete(socket);
      });
      onConnection(socket);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return listener;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface CreatedCase {
  id: string;
  reference: string;
  organizationId: string;
}

export async function submitCase(customer: SeededCustomer): Promise<CreatedCase> {
  const res = await customer.client.upload('/v1/submissions', submissionForm());
  if (res.status !== 201) throw new Error(`submission: ${res.status} ${JSON.stringify(res.body)}`);
  return { id: res.body.id, reference: res.body.reference, organizationId: customer.organizationId };
}

export async function registerWebhook(customer: SeededCustomer, url: string): Promise<{ id: string; secret: string }> {
  const res = await customer.client.post('/v1/webhooks', { url });
  if (res.status !== 201) throw new Error(`webhook ${url}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** A status change as the code that changes statuses reports it, committed; its deliveries, one per webhook. */
export async function notify(env: TestEnvironment, c: CreatedCase, fromStatus: CaseStatus, toStatus: CaseStatus) {
  // told apart from the deliveries of other changes (intake's, running meanwhile) by the time of the change
  const at = new Date(Date.now() - Math.floor(Math.random() * 1_000_000));
  await env.db.transaction().execute((trx) =>
    env.sigdesk.app.get(CaseNotifier).statusChanged(trx, {
      caseId: c.id,
      organizationId: c.organizationId,
      reference: c.reference,
      fromStatus,
      toStatus,
      at,
    }),
  );
  return env.db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('case_id', '=', c.id)
    .where(sql<string>`payload->>'occurredAt'`, '=', at.toISOString())
    .orderBy('created_at')
    .execute();
}

/** What a status change does right after its commit: relay the outbox to the queues now. */
export async function relay(env: TestEnvironment): Promise<void> {
  await env.sigdesk.app.get(JobQueueService).relayOutbox();
}

export function deliveryRow(env: TestEnvironment, id: string) {
  return env.db.selectFrom('webhook_deliveries').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
}

export async function webhookCount(env: TestEnvironment, organizationId: string): Promise<number> {
  const { n } = await env.db
    .selectFrom('webhooks')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('organization_id', '=', organizationId)
    .executeTakeFirstOrThrow();
  return Number(n);
}
