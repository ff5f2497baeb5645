import { createServer as createHttpServer, IncomingHttpHeaders, Server as HttpServer, ServerResponse } from 'node:http';
import { AddressInfo, createServer as createTcpServer, Server as TcpServer, Socket } from 'node:net';

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The body exactly as received: what a receiver verifies the signature over. */
  body: string;
  json: any;
}

/**
 * A customer's webhook receiver on loopback: records every request and answers what the test says. `respond` returns
 * a status (a 3xx points at `/moved` on the same receiver), or writes the answer itself (anything but a number).
 */
export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  respond: (request: ReceivedRequest, res: ServerResponse) => number | ServerResponse | void = () => 200;

  private constructor(private readonly server: HttpServer) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createHttpServer();
    const receiver = new WebhookReceiver(server);
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
        const request = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, json };
        receiver.requests.push(request);
        const status = receiver.respond(request, res);
        if (typeof status !== 'number') return;
        if (status >= 300 && status < 400) res.setHeader('location', `${receiver.url}/moved`);
        res.writeHead(status).end(status < 300 ? 'ok' : 'no');
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

  /** The attempts of one delivery (its `sigdesk-delivery` header). */
  requestsFor(deliveryId: string): ReceivedRequest[] {
    return this.requests.filter((r) => r.headers['sigdesk-delivery'] === deliveryId);
  }

  /** The first request that matches, once it has arrived. */
  waitFor(match: (request: ReceivedRequest) => boolean, timeoutMs = 40_000): Promise<ReceivedRequest> {
    return this.waitUntil(() => this.requests.find(match), timeoutMs);
  }

  /** The payloads about one case, once `count` of them have arrived. */
  payloadsAbout(caseId: string, count: number, timeoutMs = 40_000): Promise<any[]> {
    return this.waitUntil(() => {
      const found = this.requests.map((r) => r.json).filter((json) => json?.case?.id === caseId);
      return found.length >= count ? found : undefined;
    }, timeoutMs);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async waitUntil<T>(probe: () => T | undefined, timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = probe();
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `the receiver did not get the expected requests in ${timeoutMs} ms (${this.requests.length} came)`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
