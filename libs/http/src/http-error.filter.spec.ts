import { ArgumentsHost, HttpStatus, Logger } from '@nestjs/common';
import { AppError } from './app-error';
import { HttpErrorFilter } from './http-error.filter';

interface Sent {
  status?: number;
  headers: Record<string, string>;
  body?: unknown;
}

/** What the filter answers to a request that failed with `exception`. */
function answer(exception: unknown): Sent {
  const sent: Sent = { headers: {} };
  const reply = {
    status(code: number) {
      sent.status = code;
      return reply;
    },
    header(name: string, value: string) {
      sent.headers[name.toLowerCase()] = value;
      return reply;
    },
    send(body: unknown) {
      sent.body = body;
      return reply;
    },
  };
  const host = {
    switchToHttp: () => ({ getResponse: () => reply, getRequest: () => ({ id: 'req-1', url: '/v1/submissions' }) }),
  } as unknown as ArgumentsHost;
  new HttpErrorFilter().catch(exception, host);
  return sent;
}

describe(HttpErrorFilter.name, () => {
  // the filter logs every 5xx: not in the test's output
  beforeAll(() => Logger.overrideLogger(false));

  it('answers 503 with Retry-After naming the database when PostgreSQL is away', () => {
    const sent = answer(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }));
    expect(sent.status).toBe(503);
    expect(Number(sent.headers['retry-after'])).toBeGreaterThan(0);
    expect(sent.body).toEqual({
      error: 'unavailable',
      message: 'The database is unavailable; try again shortly.',
      dependency: 'database',
    });
  });

  it('says nothing of the failure itself to the client', () => {
    const sent = answer(new Error('Connection terminated unexpectedly'));
    expect(JSON.stringify(sent.body)).not.toMatch(/terminated|ECONN|5432/);
  });

  it('says when to try again in Retry-After when the error names a time', () => {
    const sent = answer(new AppError(HttpStatus.SERVICE_UNAVAILABLE, 'checks_busy', 'Busy.', { retryAfterSeconds: 3 }));
    expect(sent.status).toBe(503);
    expect(sent.headers['retry-after']).toBe('3');
    expect(sent.body).toEqual({ error: 'checks_busy', message: 'Busy.', retryAfterSeconds: 3 });
  });

  it('keeps a bug a 500 with a correlation id', () => {
    const sent = answer(new TypeError("Cannot read properties of undefined (reading 'id')"));
    expect(sent.status).toBe(500);
    expect(sent.headers['retry-after']).toBeUndefined();
    expect(sent.body).toMatchObject({ error: 'internal_error', correlationId: 'req-1' });
  });

  it('leaves the errors services raise as they are', () => {
    const sent = answer(new AppError(HttpStatus.SERVICE_UNAVAILABLE, 'sample_storage_busy', 'Send it again.'));
    expect({ status: sent.status, body: sent.body }).toEqual({
      status: 503,
      body: { error: 'sample_storage_busy', message: 'Send it again.' },
    });
  });
});
