import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Client } from 'pg';
import { AppConfig } from '@sigdesk/config';
import { parseLiveEvent, type LiveEvent } from './live-event';

export const LIVE_CHANNEL = 'sigdesk_live';
const RETRY_MS = { first: 500, max: 10_000 };

type Subscriber = (event: LiveEvent) => void;

/**
 * One connection per API process that LISTENs on {@link LIVE_CHANNEL} and hands each notification to the open
 * streams. The connection is its own (LISTEN holds it), watched for errors: lost, it is opened again with a growing
 * pause, and the streams are told to `resync`, since notifications sent meanwhile are gone.
 */
@Injectable()
export class LiveEventsListener implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(LiveEventsListener.name);
  private readonly subscribers = new Set<Subscriber>();
  /** the connection listening, or being opened */
  private current: Client | null = null;
  private listeningNow = false;
  private retryMs = RETRY_MS.first;
  private retryTimer: NodeJS.Timeout | null = null;
  private stopped = false;
  private lostSinceConnected = false;

  constructor(private readonly config: AppConfig) {}

  get listening(): boolean {
    return this.listeningNow;
  }

  get subscriberCount(): number {
    return this.subscribers.size;
  }

  subscribe(subscriber: Subscriber): () => void {
    this.subscribers.add(subscriber);
    return () => this.subscribers.delete(subscriber);
  }

  async onModuleInit(): Promise<void> {
    // not awaited: an API whose database is away at start still serves, and listens once it can
    void this.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.current;
    this.current = null;
    this.listeningNow = false;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const client = new Client({ connectionString: this.config.database.url, application_name: 'sigdesk-live' });
    this.current = client;
    client.on('error', (error) => this.lost(client, error));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (message) => {
      const event = parseLiveEvent(message.payload);
      if (event) this.emit(event);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_CHANNEL}`);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.lost(client, error as Error);
      return;
    }
    if (this.stopped || this.current !== client) {
      await client.end().catch(() => undefined);
      return;
    }
    this.listeningNow = true;
    this.retryMs = RETRY_MS.first;
    if (this.lostSinceConnected) {
      this.logger.log('listening for live updates again');
      this.emit({ type: 'resync' });
    }
    this.lostSinceConnected = false;
  }

  private lost(client: Client, error: Error): void {
    // an earlier connection's late error or end: that one was dealt with already
    if (this.stopped || this.current !== client) return;
    if (this.listeningNow) {
      this.logger.warn(`live updates connection lost (${error.message}); listening again shortly`);
      this.emit({ type: 'resync' });
    }
    this.current = null;
    this.listeningNow = false;
    this.lostSinceConnected = true;
    void client.end().catch(() => undefined);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect();
    }, this.retryMs);
    this.retryTimer.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MS.max);
  }

  private emit(event: LiveEvent): void {
    for (const subscriber of this.subscribers) subscriber(event);
  }
}
