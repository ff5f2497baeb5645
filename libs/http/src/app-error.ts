import { HttpException, HttpStatus } from '@nestjs/common';

/**
 * An error a client can act on: a stable machine `code`, a sentence for a person, and details.
 * Shaped by {@link HttpErrorFilter} as `{ error, message, ...details }`.
 */
export class AppError extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super({ error: code, message, ...details }, status);
  }

  static badRequest(code: string, message: string, details?: Record<string, unknown>) {
    return new AppError(HttpStatus.BAD_REQUEST, code, message, details);
  }
  static unauthorized(message: string) {
    return new AppError(HttpStatus.UNAUTHORIZED, 'unauthorized', message);
  }
  static forbidden(message: string) {
    return new AppError(HttpStatus.FORBIDDEN, 'forbidden', message);
  }
  static notFound(what: string) {
    return new AppError(HttpStatus.NOT_FOUND, 'not_found', `${what} does not exist or is not yours to see.`);
  }
  static conflict(code: string, message: string, details?: Record<string, unknown>) {
    return new AppError(HttpStatus.CONFLICT, code, message, details);
  }
  static tooLarge(code: string, message: string, details?: Record<string, unknown>) {
    return new AppError(HttpStatus.PAYLOAD_TOO_LARGE, code, message, details);
  }
  static unprocessable(code: string, message: string, details?: Record<string, unknown>) {
    return new AppError(HttpStatus.UNPROCESSABLE_ENTITY, code, message, details);
  }
}
