import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { ReceivedRequest, sha256Hex, UNSIGNED_PAYLOAD, verifySignatureV4 } from './s3-signature';

// The examples of the S3 documentation ("Signature Calculations for the Authorization Header" and "Authenticating
// Requests: Using Query Parameters"), with their published signatures: an implementation other than this one.
const KEYS = new Map([['AKIAIOSFODNN7EXAMPLE', 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY']]);
const AT = new Date('2013-05-24T00:00:00Z');
const EMPTY = sha256Hex('');
const CREDENTIAL = 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request';

function headerSigned(
  method: string,
  url: string,
  headers: Array<[string, string]>,
  signedHeaders: string,
  signature: string,
): ReceivedRequest {
  return {
    method,
    url,
    rawHeaders: [
      ...headers.flat(),
      'Authorization',
      `AWS4-HMAC-SHA256 Credential=${CREDENTIAL},SignedHeaders=${signedHeaders},Signature=${signature}`,
    ],
  };
}

const getObject = (headers: Array<[string, string]> = [], url = '/test.txt') =>
  headerSigned(
    'GET',
    url,
    [
      ['Host', 'examplebucket.s3.amazonaws.com'],
      ['Range', 'bytes=0-9'],
      ['x-amz-content-sha256', EMPTY],
      ['x-amz-date', '20130524T000000Z'],
      ...headers,
    ],
    'host;range;x-amz-content-sha256;x-amz-date',
    'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
  );

const PRESIGNED =
  '/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request' +
  '&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host' +
  '&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404';
const presigned = (url = PRESIGNED, headers: string[] = []): ReceivedRequest => ({
  method: 'GET',
  url,
  rawHeaders: ['Host', 'examplebucket.s3.amazonaws.com', ...headers],
});

const verify = (request: ReceivedRequest, now = AT) => verifySignatureV4(request, KEYS, 'us-east-1', now);
const refusal = (request: ReceivedRequest, now = AT) => {
  const verdict = verify(request, now);
  return verdict.ok ? verdict : { status: verdict.status, code: verdict.code };
};

describe(verifySignatureV4.name, () => {
  it('accepts the documented GET Object, PUT Object, GET Bucket Lifecycle and List Objects examples', () => {
    expect(verify(getObject())).toEqual({ ok: true, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', payloadHash: EMPTY });

    const body = sha256Hex('Welcome to Amazon S3.');
    const put = headerSigned(
      'PUT',
      '/test%24file.text',
      [
        ['Host', 'examplebucket.s3.amazonaws.com'],
        ['Date', 'Fri, 24 May 2013 00:00:00 GMT'],
        ['x-amz-date', '20130524T000000Z'],
        ['x-amz-storage-class', 'REDUCED_REDUNDANCY'],
        ['x-amz-content-sha256', body],
      ],
      'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class',
      '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
    );
    expect(verify(put)).toEqual({ ok: true, accessKeyId: 'AKIAIOSFODNN7EXAMPLE', payloadHash: body });

    const bucketHeaders: Array<[string, string]> = [
      ['Host', 'examplebucket.s3.amazonaws.com'],
      ['x-amz-date', '20130524T000000Z'],
      ['x-amz-content-sha256', EMPTY],
    ];
    const signed = 'host;x-amz-content-sha256;x-amz-date';
    const lifecycle = headerSigned(
      'GET',
      '/?lifecycle',
      bucketHeaders,
      signed,
      'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543',
    );
    expect(verify(lifecycle).ok).toBe(true);
    const list = headerSigned(
      'GET',
      '/?max-keys=2&prefix=J',
      bucketHeaders,
      signed,
      '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7',
    );
    expect(verify(list).ok).toBe(true);
    // the query's order is the client's: the canonical form sorts it
    expect(verify({ ...list, url: '/?prefix=J&max-keys=2' }).ok).toBe(true);
  });

  it('accepts the documented presigned URL until it expires, and not after', () => {
    expect(verify(presigned())).toEqual({
      ok: true,
      accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
      payloadHash: UNSIGNED_PAYLOAD,
    });
    expect(verify(presigned(), new Date('2013-05-24T23:59:59Z')).ok).toBe(true);
    expect(refusal(presigned(), new Date('2013-05-25T00:00:01Z'))).toEqual({ status: 403, code: 'AccessDenied' });
    // nor long before it starts
    expect(refusal(presigned(), new Date('2013-05-23T23:00:00Z'))).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('refuses requests without a signature, or with a signature of version 2', () => {
    expect(refusal({ method: 'GET', url: '/test.txt', rawHeaders: ['Host', 'x'] })).toEqual({
      status: 403,
      code: 'AccessDenied',
    });
    expect(refusal({ method: 'GET', url: '/', rawHeaders: [] })).toEqual({ status: 403, code: 'AccessDenied' });
    expect(
      refusal({
        method: 'GET',
        url: '/test.txt',
        rawHeaders: ['Authorization', 'AWS AKIAIOSFODNN7EXAMPLE:c2lnbmF0dXJl'],
      }),
    ).toEqual({ status: 403, code: 'AccessDenied' });
    expect(
      refusal({
        method: 'GET',
        url: '/test.txt?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Expires=1369353600&Signature=c2ln',
        rawHeaders: [],
      }),
    ).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('refuses a request signed with another secret or an unknown key', () => {
    const other = verifySignatureV4(
      getObject(),
      new Map([['AKIAIOSFODNN7EXAMPLE', 'another secret']]),
      'us-east-1',
      AT,
    );
    expect(other).toMatchObject({ ok: false, status: 403, code: 'SignatureDoesNotMatch' });
    const unknown = verifySignatureV4(getObject(), new Map([['SOMEONE', 'x']]), 'us-east-1', AT);
    expect(unknown).toMatchObject({ ok: false, status: 403, code: 'InvalidAccessKeyId' });
  });

  it('refuses a signed request whose method, path, query, signed headers or payload hash were changed', () => {
    const original = getObject();
    const tampered: ReceivedRequest[] = [
      { ...original, method: 'DELETE' },
      { ...original, url: '/test2.txt' },
      { ...original, url: '/test.txt?acl' },
      // the same key encoded otherwise is another canonical path
      { ...original, url: '/test%2Etxt' },
      { ...original, rawHeaders: original.rawHeaders.map((v) => (v === 'bytes=0-9' ? 'bytes=0-99' : v)) },
      {
        ...original,
        rawHeaders: original.rawHeaders.map((v) => (v === 'examplebucket.s3.amazonaws.com' ? 'other' : v)),
      },
      { ...original, rawHeaders: original.rawHeaders.map((v) => (v === EMPTY ? sha256Hex('x') : v)) },
    ];
    for (const request of tampered) {
      expect({ request, verdict: refusal(request) }).toEqual({
        request,
        verdict: { status: 403, code: 'SignatureDoesNotMatch' },
      });
    }
  });

  it('refuses a presigned URL whose path, expiry or query was changed', () => {
    const tampered = [
      PRESIGNED.replace('/test.txt', '/secret.txt'),
      PRESIGNED.replace('X-Amz-Expires=86400', 'X-Amz-Expires=604800'),
      `${PRESIGNED}&response-content-type=text%2Fhtml`,
    ];
    for (const url of tampered) {
      expect({ url, verdict: refusal(presigned(url)) }).toEqual({
        url,
        verdict: { status: 403, code: 'SignatureDoesNotMatch' },
      });
    }
  });

  it('accepts what the AWS SDK presigns, and refuses it with a "+" put for the "%2B" that was signed', async () => {
    const client = new S3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:4568',
      forcePathStyle: true,
      credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: KEYS.get('AKIAIOSFODNN7EXAMPLE')! },
    });
    const url = new URL(
      await getSignedUrl(client, new ListObjectsV2Command({ Bucket: 'bucket', Prefix: 'a+b c' }), {
        expiresIn: 60,
        signingDate: AT,
      }),
    );
    client.destroy();
    const request = (target: string) => ({ method: 'GET', url: target, rawHeaders: ['Host', url.host] });
    const target = `${url.pathname}${url.search}`;
    expect(target).toContain('prefix=a%2Bb%20c');
    expect(verify(request(target)).ok).toBe(true);
    // the server reads "+" as a space: "a+b" is another prefix than the signed "a%2Bb"
    expect(refusal(request(target.replace('a%2Bb', 'a+b')))).toEqual({ status: 403, code: 'SignatureDoesNotMatch' });
    // and "a+b%20c" for "a%20b%20c" the same
    expect(refusal(request(target.replace('a%2Bb%20c', 'a+b+c')))).toEqual({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
  });

  it('refuses x-amz headers, a content type or a Content-MD5 that the signature does not cover', () => {
    expect(refusal(getObject([['x-amz-copy-source', '/examplebucket/other.txt']]))).toEqual({
      status: 403,
      code: 'AccessDenied',
    });
    expect(refusal(getObject([['Content-Type', 'text/html']]))).toEqual({ status: 403, code: 'AccessDenied' });
    expect(refusal(presigned(PRESIGNED, ['x-amz-acl', 'public-read']))).toEqual({ status: 403, code: 'AccessDenied' });
  });

  it('refuses a request outside 15 minutes of its x-amz-date', () => {
    expect(refusal(getObject(), new Date('2013-05-24T00:16:00Z'))).toEqual({
      status: 403,
      code: 'RequestTimeTooSkewed',
    });
    expect(verify(getObject(), new Date('2013-05-24T00:14:00Z')).ok).toBe(true);
  });

  it('refuses malformed or ambiguous authentication', () => {
    const header = getObject();
    const both = { ...header, url: `/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256` };
    expect(refusal(both)).toEqual({ status: 400, code: 'InvalidArgument' });
    const twice = { ...header, rawHeaders: [...header.rawHeaders, 'Authorization', 'AWS4-HMAC-SHA256 x'] };
    expect(refusal(twice)).toEqual({ status: 400, code: 'InvalidArgument' });
    const otherRegion = verifySignatureV4(header, KEYS, 'eu-west-1', AT);
    expect(otherRegion).toMatchObject({ ok: false, status: 400, code: 'AuthorizationHeaderMalformed' });
    expect(refusal(presigned(PRESIGNED.replace('X-Amz-Expires=86400', 'X-Amz-Expires=999999')))).toEqual({
      status: 400,
      code: 'AuthorizationQueryParametersError',
    });
    expect(refusal(presigned(PRESIGNED.replace('&X-Amz-Date=20130524T000000Z', '')))).toEqual({
      status: 400,
      code: 'AuthorizationQueryParametersError',
    });
    expect(refusal(presigned(`${PRESIGNED}&X-Amz-Signature=00`))).toEqual({
      status: 400,
      code: 'AuthorizationQueryParametersError',
    });
    expect(refusal(presigned('/test.txt?a=%E0%A4%A'))).toEqual({ status: 400, code: 'InvalidArgument' });
    expect(refusal({ ...header, url: 'http://examplebucket.s3.amazonaws.com/test.txt' })).toEqual({
      status: 400,
      code: 'InvalidRequest',
    });
    const chunked = headerSigned(
      'PUT',
      '/test.txt',
      [
        ['Host', 'examplebucket.s3.amazonaws.com'],
        ['x-amz-content-sha256', 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD'],
        ['x-amz-date', '20130524T000000Z'],
      ],
      'host;x-amz-content-sha256;x-amz-date',
      '0'.repeat(64),
    );
    expect(refusal(chunked)).toEqual({ status: 400, code: 'InvalidArgument' });
  });
});
