import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

interface ErrorBody {
  error: string;
  message: string;
  [detail: string]: unknown;
}

const CODES_BY_STATUS: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  406: 'not_acceptable',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'unprocessable',
  429: 'rate_limited',
  503: 'unavailable',
};

/** Shapes every error as `{ error, message, ...details }`; the unexpected becomes a 500 with a correlation id. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger('HttpError');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const reply = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    const { status, body } = this.toResponse(exception, String(request.id));
    if (status >= 500) {
      this.logger.error({ err: exception, requestId: request.id, url: request.url }, 'request failed');
    }
    void reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
  }

  private toResponse(exception: unknown, requestId: string): { status: number; body: ErrorBody } {
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const response = exception.getResponse();
      if (typeof response === 'object' && response !== null && 'error' in response && 'message' in response) {
        const shaped = response as { error: unknown; message: unknown };
        if (typeof shaped.error === 'string' && typeof shaped.message === 'string' && !('statusCode' in response)) {
          return { status, body: response as ErrorBody };
        }
      }
      const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
      return {
        status,
        body: {
          error: CODES_BY_STATUS[status] ?? 'error',
          message: Array.isArray(message) ? message.join('; ') : String(message ?? exception.message),
        },
      };
    }
    // errors raised by fastify itself (body too large, bad JSON, unsupported content type) carry a statusCode
    const fastifyError = exception as { statusCode?: number; message?: string; code?: string };
    if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode < 500) {
      return {
        status: fastifyError.statusCode,
        body: {
          error: CODES_BY_STATUS[fastifyError.statusCode] ?? 'bad_request',
          message: fastifyError.message ?? 'The request could not be read.',
        },
      };
    }
    return {
      status: HttpStatus.INTERNAL_SERVER_ERROR,
      body: {
        error: 'internal_error',
        message: 'Something went wrong on our side. Quote the correlation id when you contact support.',
        correlationId: requestId,
      },
    };
  }
}
