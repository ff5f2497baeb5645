import { S3ServiceException } from '@aws-sdk/client-s3';
import { ReplyError } from 'ioredis';
import { MaxRetriesPerRequestError } from 'ioredis/built/errors';
import { DatabaseError } from 'pg';
import { unavailableDependency } from './unavailable-dependency';

/** An error as PostgreSQL sends it (pg's DatabaseError with its SQLSTATE and severity). */
function postgresError(code: string, message: string, severity = 'ERROR'): DatabaseError {
  return Object.assign(new DatabaseError(message, message.length, 'error'), { code, severity });
}

/** An error as Node's sockets raise it. */
function networkError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code, errno: -111, syscall: 'connect' });
}

function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({
    name,
    message: name,
    $fault: status >= 500 ? 'server' : 'client',
    $metadata: { httpStatusCode: status },
  });
}

describe(unavailableDependency.name, () => {
  it.each([
    [
      'the server ending the session (pg_terminate_backend, fast shutdown)',
      postgresError('57P01', 'terminating connection due to administrator command', 'FATAL'),
    ],
    [
      'a crashed server',
      postgresError('57P02', 'terminating connection because of crash of another server process', 'FATAL'),
    ],
    ['a server starting up', postgresError('57P03', 'the database system is starting up', 'FATAL')],
    ['a connection exception', postgresError('08006', 'connection failure', 'FATAL')],
    ['too many connections', postgresError('53300', 'sorry, too many clients already', 'FATAL')],
    ['a connection lost mid-query', new Error('Connection terminated unexpectedly')],
    ['a connection that could not be made in time', new Error('Connection terminated due to connection timeout')],
    ['no connection of the pool given back in time', new Error('timeout exceeded when trying to connect')],
    [
      'a query on a connection lost earlier',
      new Error('Client has encountered a connection error and is not queryable'),
    ],
    ['nothing listening', networkError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432')],
    ['a connection reset', networkError('ECONNRESET', 'read ECONNRESET')],
    [
      'every address of the host refusing',
      new AggregateError([networkError('ECONNREFUSED', 'connect ECONNREFUSED ::1:5432')], ''),
    ],
  ])('names the database for %s', (_, error) => {
    expect(unavailableDependency(error)).toBe('database');
  });

  it.each([
    ['S3 asking to slow down', s3Error('SlowDown', 503)],
    ['S3 failing inside', s3Error('InternalError', 500)],
    ['a gateway before S3 timing out', s3Error('Unknown', 504)],
    [
      'S3 refused',
      Object.assign(networkError('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.5:9000'), { $metadata: {} }),
    ],
    [
      'a socket timeout of the SDK',
      Object.assign(new Error('socket hang up'), { name: 'TimeoutError', $metadata: {} }),
    ],
    [
      'a network failure the SDK wrapped',
      Object.assign(new Error('AWS SDK error wrapper for Error: connect ECONNREFUSED 10.0.0.5:9000'), {
        $metadata: {},
      }),
    ],
  ])('names the storage for %s', (_, error) => {
    expect(unavailableDependency(error)).toBe('storage');
  });

  it.each([
    ['commands that gave up waiting for Redis', new MaxRetriesPerRequestError(20)],
    ['a Redis connection that is closed', new Error('Connection is closed.')],
    [
      'a Redis replica taking writes during a failover',
      new ReplyError("READONLY You can't write against a read only replica."),
    ],
    ['a Redis loading its data', new ReplyError('LOADING Redis is loading the dataset in memory')],
  ])('names the queues for %s', (_, error) => {
    expect(unavailableDependency(error)).toBe('queues');
  });

  it('looks through the causes an error was wrapped around', () => {
    const lost = new Error('Connection terminated unexpectedly');
    expect(unavailableDependency(new Error('loading the case failed', { cause: lost }))).toBe('database');
  });

  it.each([
    ['a bug', new TypeError("Cannot read properties of undefined (reading 'id')")],
    ['a constraint violated', postgresError('23505', 'duplicate key value violates unique constraint "cases_pkey"')],
    ['a syntax error in SQL', postgresError('42601', 'syntax error at or near "SELEC"')],
    ['a query cancelled by its timeout', postgresError('57014', 'canceling statement due to statement timeout')],
    ['a wrong password', postgresError('28P01', 'password authentication failed for user "sigdesk"', 'FATAL')],
    ['a missing object in S3', s3Error('NoSuchKey', 404)],
    ['S3 denying access', s3Error('AccessDenied', 403)],
    ['a Redis command refused', new ReplyError('ERR unknown command')],
    ['a thrown string', 'Connection terminated unexpectedly'],
    ['nothing', undefined],
  ])('leaves %s alone (a 500, not an outage)', (_, error) => {
    expect(unavailableDependency(error)).toBeUndefined();
  });
});
