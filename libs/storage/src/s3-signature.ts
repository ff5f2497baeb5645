import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verification of AWS Signature Version 4 (the signature every S3 client sends), for the S3 server that sigdesk runs
 * itself: s3rver checks no V4 signature at all and lets unsigned requests through.
 *
 * Both ways of signing are accepted: the `Authorization` header, and query parameters (presigned URLs). What the
 * signature covers is taken from the request exactly as it arrived (the path still encoded, the query parsed as the
 * server parses it), so that any change to the method, path, query, signed headers or announced payload hash breaks
 * it. The payload itself is checked by the caller against the hash returned here (see `payloadHash`).
 *
 * https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-authenticating-requests.html
 */

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** A request as it arrived: the request target still encoded, and the raw header lines (node's `rawHeaders`). */
export interface ReceivedRequest {
  method: string;
  url: string;
  rawHeaders: readonly string[];
}

export type SignatureVerdict =
  | {
      ok: true;
      accessKeyId: string;
      /** Lower-case hex SHA-256 that the body must have, or `UNSIGNED-PAYLOAD`. */
      payloadHash: string;
    }
  | SignatureRefusal;

export interface SignatureRefusal {
  ok: false;
  status: 400 | 403;
  /** S3's error code, so that S3 clients report the refusal as S3 would. */
  code: string;
  message: string;
}

export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const ALGORITHM = 'AWS4-HMAC-SHA256';
/** How far a header-signed request's time may be from the server's, and how far in the future a presigned URL may start. */
const MAX_SKEW_MS = 15 * 60_000;
/** The longest a presigned URL may live (S3's own limit: 7 days). */
const MAX_EXPIRES_SECONDS = 604_800;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEX_SHA256 = /^[0-9a-f]{64}$/;

function refuse(status: 400 | 403, code: string, message: string): SignatureRefusal {
  return { ok: false, status, code, message };
}

/** RFC 3986 encoding, as SigV4 wants it: everything but unreserved characters, in upper-case hex. */
function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * The query's name/value pairs, decoded as the server decodes them (`+` is a space, as node's querystring reads it):
 * a value that the server would read differently from what was signed cannot keep its signature.
 */
function parseQuery(raw: string): Array<[string, string]> | null {
  const pairs: Array<[string, string]> = [];
  for (const part of raw.split('&')) {
    if (!part) continue;
    const at = part.indexOf('=');
    const [name, value] = at < 0 ? [part, ''] : [part.slice(0, at), part.slice(at + 1)];
    try {
      pairs.push([decodeURIComponent(name.replace(/\+/g, ' ')), decodeURIComponent(value.replace(/\+/g, ' '))]);
    } catch {
      return null;
    }
  }
  return pairs;
}

function canonicalQuery(pairs: Array<[string, string]>): string {
  return pairs
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)])
    .sort(([a, x], [b, y]) => (a < b ? -1 : a > b ? 1 : x < y ? -1 : x > y ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
}

/** Every value of each header, by lower-case name, in the order received. */
function headerValues(rawHeaders: readonly string[]): Map<string, string[]> {
  const headers = new Map<string, string[]>();
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    headers.set(name, [...(headers.get(name) ?? []), rawHeaders[i + 1]]);
  }
  return headers;
}

function parseAmzDate(value: string | undefined): Date | null {
  const match = value ? AMZ_DATE.exec(value) : null;
  if (!match) return null;
  const [, y, mo, d, h, mi, s] = match.map(Number);
  const date = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return date.getUTCMonth() === mo - 1 && date.getUTCDate() === d ? date : null;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * What sigdesk's S3 server answers to a signed request that carries `x-sigdesk-challenge`: proof that it knows the
 * secret, so that a client can tell its own server from another program on the same port (which could otherwise
 * answer anything, and collect what the client uploads).
 */
export const CHALLENGE_HEADER = 'x-sigdesk-challenge';
export const PROOF_HEADER = 'x-sigdesk-proof';

export function serverProof(secretAccessKey: string, challenge: string): string {
  return createHmac('sha256', secretAccessKey).update(`sigdesk S3 server proof\n${challenge}`, 'utf8').digest('hex');
}

/** The signature of `stringToSign` with the key derived from the secret for one day, region and service. */
export function signatureV4(secretAccessKey: string, scope: CredentialScope, stringToSign: string): string {
  const dateKey = hmac(`AWS4${secretAccessKey}`, scope.date);
  const signingKey = hmac(hmac(hmac(dateKey, scope.region), scope.service), 'aws4_request');
  return createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
}

interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
}

interface Authorization {
  scope: CredentialScope;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
  /** As given: a SHA-256 in hex or `UNSIGNED-PAYLOAD`. */
  payloadHash: string;
  /** The query pairs that the signature covers. */
  signedQuery: Array<[string, string]>;
}

function parseCredential(value: string, amzDate: string, region: string): CredentialScope | string {
  const parts = value.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request' || !parts[0]) {
    return 'the credential must be <access key id>/<date>/<region>/s3/aws4_request';
  }
  const [accessKeyId, date, scopeRegion, service] = parts;
  if (date !== amzDate.slice(0, 8)) return 'the date of the credential scope is not the date of the request';
  if (scopeRegion !== region) return `the region of the credential scope must be ${region}`;
  if (service !== 's3') return 'the service of the credential scope must be s3';
  return { accessKeyId, date, region: scopeRegion, service };
}

function parseSignedHeaders(value: string): string[] | null {
  const names = value.split(';');
  const valid = names.every((name, i) => /^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name) && (i === 0 || names[i - 1] < name));
  return valid ? names : null;
}

function fromHeader(
  authorization: string,
  headers: Map<string, string[]>,
  query: Array<[string, string]>,
  region: string,
  now: Date,
): Authorization | SignatureRefusal {
  const malformed = (why: string) =>
    refuse(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed: ${why}.`);
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ALGORITHM) {
    return refuse(403, 'AccessDenied', 'Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is accepted.');
  }
  const fields = new Map<string, string>();
  for (const field of authorization.slice(space + 1).split(',')) {
    const at = field.indexOf('=');
    const name = field.slice(0, at).trim();
    if (at < 0 || fields.has(name)) return malformed('expected Credential, SignedHeaders and Signature once each');
    fields.set(name, field.slice(at + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeadersField = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (fields.size !== 3 || !credential || !signedHeadersField || !signature) {
    return malformed('expected Credential, SignedHeaders and Signature once each');
  }
  const dates = headers.get('x-amz-date');
  const amzDate = dates?.length === 1 ? dates[0] : undefined;
  const requestTime = parseAmzDate(amzDate);
  if (!amzDate || !requestTime) {
    return refuse(403, 'AccessDenied', 'A signed request needs one x-amz-date header (yyyyMMddTHHmmssZ).');
  }
  if (Math.abs(now.getTime() - requestTime.getTime()) > MAX_SKEW_MS) {
    return refuse(
      403,
      'RequestTimeTooSkewed',
      'The difference between the request time and the current time is too large.',
    );
  }
  const scope = parseCredential(credential, amzDate, region);
  if (typeof scope === 'string') return malformed(scope);
  const signedHeaders = parseSignedHeaders(signedHeadersField);
  if (!signedHeaders) return malformed('SignedHeaders must be lower-case header names, sorted, separated by ";"');
  const hashes = headers.get('x-amz-content-sha256');
  const payloadHash = hashes?.length === 1 ? hashes[0] : undefined;
  if (!payloadHash)
    return refuse(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256.');
  if (payloadHash !== UNSIGNED_PAYLOAD && !HEX_SHA256.test(payloadHash.toLowerCase())) {
    return refuse(
      400,
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD or the SHA-256 of the body (chunked signing is not accepted).',
    );
  }
  // headers that decide what is stored, or how the request is authenticated, must be covered by the signature
  for (const name of headers.keys()) {
    if (
      (name.startsWith('x-amz-') || name === 'content-type' || name === 'content-md5') &&
      !signedHeaders.includes(name)
    ) {
      return refuse(403, 'AccessDenied', `There were headers present in the request which were not signed: ${name}.`);
    }
  }
  return {
    scope,
    signedHeaders,
    signature,
    amzDate,
    payloadHash,
    signedQuery: query,
  };
}

function fromQuery(
  headers: Map<string, string[]>,
  query: Array<[string, string]>,
  region: string,
  now: Date,
): Authorization | SignatureRefusal {
  const malformed = (why: string) =>
    refuse(400, 'AuthorizationQueryParametersError', `The query-string authentication is malformed: ${why}.`);
  const single = (name: string): string | undefined => {
    const values = query.filter(([key]) => key === name);
    return values.length === 1 ? values[0][1] : undefined;
  };
  const required = [
    'X-Amz-Algorithm',
    'X-Amz-Credential',
    'X-Amz-Date',
    'X-Amz-Expires',
    'X-Amz-SignedHeaders',
    'X-Amz-Signature',
  ];
  const missing = required.filter((name) => single(name) === undefined);
  if (missing.length) return malformed(`${missing.join(', ')} must be given once each`);
  if (single('X-Amz-Algorithm') !== ALGORITHM) return malformed(`X-Amz-Algorithm must be ${ALGORITHM}`);
  const amzDate = single('X-Amz-Date')!;
  const start = parseAmzDate(amzDate);
  if (!start) return malformed('X-Amz-Date must be yyyyMMddTHHmmssZ');
  const expires = single('X-Amz-Expires')!;
  if (!/^\d{1,6}$/.test(expires) || Number(expires) < 1 || Number(expires) > MAX_EXPIRES_SECONDS) {
    return malformed(`X-Amz-Expires must be a number of seconds from 1 to ${MAX_EXPIRES_SECONDS}`);
  }
  if (now.getTime() > start.getTime() + Number(expires) * 1000) {
    return refuse(403, 'AccessDenied', 'Request has expired.');
  }
  if (start.getTime() - now.getTime() > MAX_SKEW_MS) return refuse(403, 'AccessDenied', 'Request is not yet valid.');
  const scope = parseCredential(single('X-Amz-Credential')!, amzDate, region);
  if (typeof scope === 'string') return malformed(scope);
  const signedHeaders = parseSignedHeaders(single('X-Amz-SignedHeaders')!);
  if (!signedHeaders) return malformed('X-Amz-SignedHeaders must be lower-case header names, sorted, separated by ";"');
  for (const name of headers.keys()) {
    if (name.startsWith('x-amz-') && !signedHeaders.includes(name)) {
      return refuse(403, 'AccessDenied', `There were headers present in the request which were not signed: ${name}.`);
    }
  }
  const contentHashes = query.filter(([key]) => key === 'X-Amz-Content-Sha256');
  if (contentHashes.length > 1) return malformed('X-Amz-Content-Sha256 may be given once');
  const contentHash = contentHashes[0]?.[1] ?? UNSIGNED_PAYLOAD;
  if (contentHash !== UNSIGNED_PAYLOAD && !HEX_SHA256.test(contentHash.toLowerCase())) {
    return malformed('X-Amz-Content-Sha256 must be UNSIGNED-PAYLOAD or a SHA-256');
  }
  return {
    scope,
    signedHeaders,
    signature: single('X-Amz-Signature')!,
    amzDate,
    payloadHash: contentHash,
    signedQuery: query.filter(([key]) => key !== 'X-Amz-Signature'),
  };
}

/**
 * Whether `request` carries a valid Signature Version 4 by one of `keys` (access key id → secret) for `region`.
 * Requests without a signature, with another kind of signature, with both a header and query signature, past their
 * time, or whose signature does not match are refused.
 */
export function verifySignatureV4(
  request: ReceivedRequest,
  keys: ReadonlyMap<string, string>,
  region: string,
  now = new Date(),
): SignatureVerdict {
  if (!request.url.startsWith('/')) return refuse(400, 'InvalidRequest', 'The request target must be a path.');
  const questionMark = request.url.indexOf('?');
  const path = questionMark < 0 ? request.url : request.url.slice(0, questionMark);
  const query = parseQuery(questionMark < 0 ? '' : request.url.slice(questionMark + 1));
  if (!query) return refuse(400, 'InvalidArgument', 'The query string is not validly encoded.');
  const headers = headerValues(request.rawHeaders);

  const byHeader = headers.has('authorization');
  const byQuery = query.some(([name]) => name === 'X-Amz-Algorithm');
  if (byHeader && byQuery) {
    return refuse(
      400,
      'InvalidArgument',
      'Only one auth mechanism allowed: the Authorization header or the X-Amz-* query parameters.',
    );
  }
  if (!byHeader && !byQuery) {
    const v2 = query.some(([name]) => name === 'Signature' || name === 'AWSAccessKeyId');
    return refuse(
      403,
      'AccessDenied',
      v2
        ? 'Only AWS Signature Version 4 (AWS4-HMAC-SHA256) is accepted.'
        : 'Anonymous access is not allowed: requests must be signed (AWS Signature Version 4).',
    );
  }
  const authorizations = headers.get('authorization');
  if (byHeader && authorizations!.length !== 1) {
    return refuse(400, 'InvalidArgument', 'Only one Authorization header is allowed.');
  }
  const auth = byHeader
    ? fromHeader(authorizations![0], headers, query, region, now)
    : fromQuery(headers, query, region, now);
  if ('ok' in auth) return auth;

  const secret = keys.get(auth.scope.accessKeyId);
  if (secret === undefined) {
    return refuse(403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (!auth.signedHeaders.includes('host')) {
    return refuse(403, 'AccessDenied', 'The host header must be signed.');
  }
  const canonicalHeaders: string[] = [];
  for (const name of auth.signedHeaders) {
    const values = headers.get(name);
    if (!values) return refuse(403, 'AccessDenied', `The signed header ${name} is not in the request.`);
    canonicalHeaders.push(`${name}:${values.map((value) => value.trim().replace(/\s+/g, ' ')).join(',')}\n`);
  }
  const canonicalRequest = [
    request.method,
    path,
    canonicalQuery(auth.signedQuery),
    canonicalHeaders.join(''),
    auth.signedHeaders.join(';'),
    auth.payloadHash,
  ].join('\n');
  const scope = `${auth.scope.date}/${auth.scope.region}/${auth.scope.service}/aws4_request`;
  const stringToSign = [ALGORITHM, auth.amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const expected = Buffer.from(signatureV4(secret, auth.scope, stringToSign), 'utf8');
  const given = Buffer.from(auth.signature, 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return refuse(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    );
  }
  const payloadHash = auth.payloadHash === UNSIGNED_PAYLOAD ? UNSIGNED_PAYLOAD : auth.payloadHash.toLowerCase();
  return { ok: true, accessKeyId: auth.scope.accessKeyId, payloadHash };
}
