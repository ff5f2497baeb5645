import { watch, type FSWatcher } from 'node:fs';
import { request as httpRequest } from 'node:http';

export interface RawAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
  /** The answer came while the client still held the rest of its body back: the server did not wait for it. */
  answeredWhileHeld: boolean;
}

/**
 * One HTTP request over a plain socket, for what fetch will not send (a body held back halfway, dozens of headers,
 * a Content-Length larger than what follows). `held`, when given, is sent only once `holdMs` have passed without
 * an answer: an answer before that shows the server refused without reading the rest.
 */
export function rawRequest(
  baseUrl: string,
  options: {
    method?: string;
    path: string;
    headers?: Record<string, string | number | string[]>;
    body?: Buffer;
    held?: Buffer;
    holdMs?: number;
  },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let held = options.held !== undefined;
    let answered = false;
    const req = httpRequest(new URL(options.path, baseUrl), {
      method: options.method ?? 'POST',
      headers: options.headers,
    });
    const timer = held
      ? setTimeout(() => {
          held = false;
          if (!answered) req.end(options.held);
        }, options.holdMs ?? 3000)
      : undefined;
    req.on('response', (res) => {
      answered = true;
      const answeredWhileHeld = held;
      clearTimeout(timer);
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = text;
        if (String(res.headers['content-type']).includes('application/json') && text) body = JSON.parse(text);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, answeredWhileHeld });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => {
      // the server may close the connection while the rest of a refused body is still being written
      if (!answered) reject(error);
    });
    if (options.body) req.write(options.body);
    if (!held) req.end();
    else req.flushHeaders();
  });
}

/** A multipart body built by hand: text fields, then file parts (the last one may be left open). */
export class MultipartBody {
  readonly boundary = `sigdesk-test-${Math.random().toString(16).slice(2)}`;
  private readonly chunks: Buffer[] = [];

  field(name: string, value: string): this {
    this.chunks.push(
      Buffer.from(`--${this.boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
    );
    return this;
  }

  fields(values: Record<string, string | undefined>): this {
    for (const [name, value] of Object.entries(values)) if (value !== undefined) this.field(name, value);
    return this;
  }

  /** The head of a file part and its content; `open` leaves the part unterminated (the rest is still to come). */
  file(name: string, fileName: string, content: Buffer, open = false): this {
    this.chunks.push(
      Buffer.from(
        `--${this.boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="${fileName}"\r\n` +
          'Content-Type: application/octet-stream\r\n\r\n',
      ),
      content,
    );
    if (!open) this.chunks.push(Buffer.from('\r\n'));
    return this;
  }

  /** The body so far. */
  get bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  /** The end of the body (after an open file part: the rest of its content, then the closing boundary). */
  closing(rest: Buffer = Buffer.alloc(0)): Buffer {
    return Buffer.concat([rest, Buffer.from(`\r\n--${this.boundary}--\r\n`)]);
  }

  contentType(): string {
    return `multipart/form-data; boundary=${this.boundary}`;
  }
}

/**
 * Watches a folder for the spool folders that requests make (`sigdesk-intake-…`): a request refused before its
 * files must make none. Inotify reports a folder made and removed at once too.
 */
export class SpoolWatch {
  private readonly seen: string[] = [];
  private readonly watcher: FSWatcher;

  constructor(root: string) {
    this.watcher = watch(root, (_event, name) => {
      if (name && String(name).startsWith('sigdesk-intake-')) this.seen.push(String(name));
    });
  }

  reset(): void {
    this.seen.length = 0;
  }

  /** The spool folders made since the last reset, after a moment for the last events to arrive. */
  async made(): Promise<string[]> {
    await new Promise((resolve) => setTimeout(resolve, 200));
    return [...new Set(this.seen)];
  }

  close(): void {
    this.watcher.close();
  }
}
