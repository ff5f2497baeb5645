import { connect, type Socket } from 'node:net';

export interface SocketAnswer {
  status: number;
  headers: Record<string, string>;
  body: any;
  /** When the server closed the connection, in ms since the socket connected. */
  closedAfterMs: number;
}

/**
 * A connection that sends what the test says, when it says (a byte a second, headers that never end), and collects
 * whatever the server answers until it closes the connection.
 */
export class RawConnection {
  private readonly socket: Socket;
  private readonly chunks: Buffer[] = [];
  private readonly connectedAt = Date.now();
  private closedAt?: number;
  private trickle?: NodeJS.Timeout;
  readonly closed: Promise<void>;
  /** Bytes the test managed to write (a closed connection takes no more). */
  written = 0;

  constructor(baseUrl: string) {
    const url = new URL(baseUrl);
    this.socket = connect(Number(url.port), url.hostname);
    this.socket.on('data', (chunk: Buffer) => this.chunks.push(chunk));
    this.socket.on('error', () => undefined);
    this.closed = new Promise((resolve) =>
      this.socket.once('close', () => {
        this.closedAt = Date.now();
        this.stopTrickle();
        resolve();
      }),
    );
  }

  get isClosed(): boolean {
    return this.closedAt !== undefined;
  }

  send(data: string | Buffer): void {
    if (this.isClosed || this.socket.destroyed) return;
    this.socket.write(data);
    this.written += Buffer.byteLength(data);
  }

  /** Sends `data` `bytesPerTick` bytes every `everyMs`, until it is all sent or the server closes. */
  sendSlowly(data: Buffer, bytesPerTick: number, everyMs: number): void {
    let offset = 0;
    this.trickle = setInterval(() => {
      if (offset >= data.length) return this.stopTrickle();
      this.send(data.subarray(offset, offset + bytesPerTick));
      offset += bytesPerTick;
    }, everyMs);
  }

  private stopTrickle(): void {
    clearInterval(this.trickle);
  }

  /** The server's answer, once it has closed the connection (or a failure after `timeoutMs`). */
  async answer(timeoutMs = 20_000): Promise<SocketAnswer> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.closed,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`the server kept the connection past ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return { ...parseAnswer(Buffer.concat(this.chunks)), closedAfterMs: this.closedAt! - this.connectedAt };
  }

  destroy(): void {
    this.stopTrickle();
    this.socket.destroy();
  }
}

function parseAnswer(raw: Buffer): Omit<SocketAnswer, 'closedAfterMs'> {
  const text = raw.toString('utf8');
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return { status: 0, headers: {}, body: text };
  const [statusLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const bodyText = text.slice(end + 4);
  let body: unknown = bodyText;
  if (headers['content-type']?.includes('application/json') && bodyText) body = JSON.parse(bodyText);
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}
