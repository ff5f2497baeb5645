import { BeforeApplicationShutdown, HttpStatus, Injectable } from '@nestjs/common';
import type { ServerResponse } from 'node:http';
import type { Principal } from '@sigdesk/accounts';
import { AppError } from '@sigdesk/http';
import { eventFor, type LiveEvent } from './live-event';
import { LiveEventsListener } from './live-events.listener';

export interface LiveStreamLimits {
  /** open streams of one key or person */
  perActor: number;
  /** open streams of this process */
  perProcess: number;
  /** a stream ends after this, and the browser's EventSource opens a new one, authenticated again */
  maxSeconds: number;
  heartbeatSeconds: number;
}

export const DEFAULT_LIVE_STREAM_LIMITS: LiveStreamLimits = {
  perActor: 5,
  perProcess: 2_000,
  maxSeconds: 600,
  heartbeatSeconds: 25,
};

/**
 * The Server-Sent Events streams of one process: each carries what its caller may see of the live events, a
 * heartbeat comment so that proxies keep it open, and ends after `maxSeconds` (a session signed out or a key
 * revoked meanwhile is then refused at the next connection). Each stream starts with `ready`: a client reads
 * what it shows again then, because events before it were not sent to it.
 */
@Injectable()
export class LiveStreams implements BeforeApplicationShutdown {
  private readonly open = new Map<string, number>();
  private readonly responses = new Set<ServerResponse>();
  private total = 0;
  /** replaced by tests */
  limits: LiveStreamLimits = DEFAULT_LIVE_STREAM_LIMITS;

  constructor(private readonly listener: LiveEventsListener) {}

  get count(): number {
    return this.total;
  }

  /** Refuses a stream over the limits; else takes a place, given back by the returned function. */
  admit(principal: Principal): () => void {
    const held = this.open.get(principal.actorId) ?? 0;
    if (held >= this.limits.perActor) {
      throw new AppError(
        HttpStatus.TOO_MANY_REQUESTS,
        'too_many_streams',
        `At most ${this.limits.perActor} live update streams are open at once for one key or person; close one first.`,
        { retryAfterSeconds: 5 },
      );
    }
    if (this.total >= this.limits.perProcess) {
      throw new AppError(
        HttpStatus.SERVICE_UNAVAILABLE,
        'streams_busy',
        'Too many live update streams are open; try again shortly.',
        {
          retryAfterSeconds: 5,
        },
      );
    }
    this.open.set(principal.actorId, held + 1);
    this.total += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const now = (this.open.get(principal.actorId) ?? 1) - 1;
      if (now > 0) this.open.set(principal.actorId, now);
      else this.open.delete(principal.actorId);
      this.total -= 1;
    };
  }

  /** Streams to `res` until the client goes, the process stops, or `maxSeconds` pass. */
  serve(principal: Principal, res: ServerResponse, release: () => void): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      // nginx and the like would hold the events back in a buffer
      'x-accel-buffering': 'no',
      // a stream's connection ends with it: it is never an idle keep-alive one that a stopping server waits for
      connection: 'close',
    });
    const send = (event: string, data: unknown) => res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    res.write(`retry: 2000\n\n`);
    send('ready', { listening: this.listener.listening });

    const unsubscribe = this.listener.subscribe((event: LiveEvent) => {
      const visible = eventFor(principal, event);
      if (visible) send(String(visible.type), visible);
    });
    const heartbeat = setInterval(() => res.write(`: heartbeat\n\n`), this.limits.heartbeatSeconds * 1000);
    const lifetime = setTimeout(() => end(res), this.limits.maxSeconds * 1000);
    heartbeat.unref();
    lifetime.unref();
    this.responses.add(res);
    const close = () => {
      this.responses.delete(res);
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      unsubscribe();
      release();
      // the connection goes with its stream: one a client left quietly could stay open, and a stopping server
      // would wait for it
      res.socket?.destroy();
    };
    res.on('close', close);
    res.on('error', close);
  }

  /** Ends every stream, so that a stopping process is not held open by them; browsers reconnect to another. */
  beforeApplicationShutdown(): void {
    for (const res of this.responses) end(res);
  }
}

/** Ends a stream, and its connection once the last bytes are out. */
function end(res: ServerResponse): void {
  res.end(() => res.socket?.destroy());
}
