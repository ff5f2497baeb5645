import { Module } from '@nestjs/common';
import { LiveController } from './live.controller';
import { LiveEventsListener } from './live-events.listener';
import { LiveStreams } from './live-streams';

/** Live updates for the HTTP API's clients: only processes that serve HTTP listen. */
@Module({ providers: [LiveEventsListener, LiveStreams], controllers: [LiveController], exports: [LiveStreams] })
export class LiveHttpModule {}
