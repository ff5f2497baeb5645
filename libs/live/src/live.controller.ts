import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Principal } from '@sigdesk/accounts';
import { LiveStreams } from './live-streams';

@ApiTags('live updates')
@ApiBearerAuth()
@Controller('v1')
export class LiveController {
  constructor(private readonly streams: LiveStreams) {}

  /**
   * Server-Sent Events: which cases, signature changes and builds changed, as the caller may see them (a customer:
   * their organisation's cases). Read the thing again through the API on each event; `resync` and each new
   * stream's `ready` mean "read everything you show again".
   */
  @Get('events')
  @ApiProduces('text/event-stream')
  events(@CurrentPrincipal() principal: Principal, @Req() request: FastifyRequest, @Res() reply: FastifyReply) {
    const release = this.streams.admit(principal);
    reply.hijack();
    request.raw.socket.setTimeout(0);
    this.streams.serve(principal, reply.raw, release);
  }
}
