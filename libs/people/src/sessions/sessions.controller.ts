import { Body, Controller, Delete, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBody, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, DuringTotpEnrolment, Principal, Public } from '@sigdesk/accounts';
import { AppConfig } from '@sigdesk/config';
import { AppError, openApiSchema, parseInput } from '@sigdesk/http';
import { signInSchema, totpConfirmSchema } from '../people.schemas';
import { clearedSessionCookie, sessionCookie } from '../rules/cookies';
import { SessionsService } from './sessions.service';

/** People's sessions: sign in and out, the current session, the second factor's enrolment. */
@ApiTags('sessions')
@Controller('v1/sessions')
export class SessionsController {
  constructor(
    private readonly sessions: SessionsService,
    private readonly config: AppConfig,
  ) {}

  @Post()
  @Public()
  @ApiBody({ schema: openApiSchema(signInSchema) })
  async signIn(@Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const input = parseInput(signInSchema, body);
    try {
      const signedIn = await this.sessions.signIn(input, {
        address: request.ip,
        userAgent: typeof request.headers['user-agent'] === 'string' ? request.headers['user-agent'] : null,
      });
      void reply
        .header(
          'set-cookie',
          sessionCookie(signedIn.token, { secure: this.secure, maxAgeSeconds: signedIn.maxAgeSeconds }),
        )
        .header('cache-control', 'no-store');
      return signedIn.body;
    } catch (error) {
      if (error instanceof AppError && error.code === 'rate_limited') {
        void reply.header('retry-after', String(error.details.retryAfterSeconds));
      }
      throw error;
    }
  }

  @Get('current')
  @DuringTotpEnrolment()
  current(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('cache-control', 'no-store');
    return this.sessions.current(principal);
  }

  @Delete('current')
  @DuringTotpEnrolment()
  @HttpCode(204)
  async signOut(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.sessions.signOut(principal);
    void reply.header('set-cookie', clearedSessionCookie({ secure: this.secure }));
  }

  /** Sign out everywhere: every session of the person ends, this one too. */
  @Delete()
  @DuringTotpEnrolment()
  @HttpCode(204)
  async signOutEverywhere(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    await this.sessions.signOutEverywhere(principal);
    void reply.header('set-cookie', clearedSessionCookie({ secure: this.secure }));
  }

  @Post('current/totp')
  @DuringTotpEnrolment()
  startTotp(@CurrentPrincipal() principal: Principal, @Res({ passthrough: true }) reply: FastifyReply) {
    void reply.header('cache-control', 'no-store');
    return this.sessions.startTotp(principal);
  }

  @Post('current/totp/confirm')
  @DuringTotpEnrolment()
  @HttpCode(200)
  @ApiBody({ schema: openApiSchema(totpConfirmSchema) })
  confirmTotp(@CurrentPrincipal() principal: Principal, @Body() body: unknown) {
    return this.sessions.confirmTotp(principal, parseInput(totpConfirmSchema, body).code);
  }

  /** Cookies are Secure outside development (plain http on a developer's machine must work). */
  private get secure(): boolean {
    return this.config.env !== 'development';
  }
}
