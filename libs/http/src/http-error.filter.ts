import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Dependency, unavailableDependency } from './unavailable-dependency';

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

/** How long a client is asked to wait before it tries again when a dependency is away. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

const UNAVAILABLE_MESSAGES: Record<Dependency, string> = {
  database: 'The database is unavailable; try again shortly.',
  storage: 'The sample storage is unavailable; try again shortly.',
  queues: 'The job queues are unavailable; try again shortly.',
};

/**
 * Shapes every error as `{ error, message, ...details }`. A dependency that is away (PostgreSQL, S3, Redis) is a 503
 * with `Retry-After` that names it; the unexpected becomes a 500 with a correlation id.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    replyWithError(http.getRequest<FastifyRequest>(), http.getResponse<FastifyReply>(), exception);
  }
}

const logger = new Logger('HttpError');

/**
 * Answers `exception` in the API's error shape: the filter's answer, also for code that runs before Nest does
 * (fastify hooks, whose errors would otherwise come out in fastify's own shape).
 */
export function replyWithError(request: FastifyRequest, reply: FastifyReply, exception: unknown): FastifyReply {
  const { status, body, unavailable } = toResponse(exception, String(request.id));
  if (unavailable) {
    // an outage, not a bug: one line per request, without a stack
    logger.warn(
      {
        dependency: unavailable,
        reason: String((exception as Error).message),
        requestId: request.id,
        url: request.url,
      },
      'dependency unavailable',
    );
    void reply.header('retry-after', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
  } else if (typeof body.retryAfterSeconds === 'number') {
    void reply.header('retry-after', String(body.retryAfterSeconds));
  }
  if (!unavailable && status >= 500) {
    logger.error({ err: exception, requestId: request.id, url: request.url }, 'request failed');
  }
  return reply.status(status).header('content-type', 'application/json; charset=utf-8').send(body);
}

function toResponse(
  exception: unknown,
  requestId: string,
): { status: number; body: ErrorBody; unavailable?: Dependency } {
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
  const dependency = unavailableDependency(exception);
  if (dependency) {
    return {
      status: HttpStatus.SERVICE_UNAVAILABLE,
      body: { error: 'unavailable', message: UNAVAILABLE_MESSAGES[dependency], dependency },
      unavailable: dependency,
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
