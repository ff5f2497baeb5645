import { AppConfig } from './app-config';
import { ConfigError, parseEnvironment } from './config.schema';

describe(parseEnvironment.name, () => {
  it('applies the documented defaults', () => {
    const config = new AppConfig(parseEnvironment({}));
    expect(config.http.port).toBe(3000);
    expect(config.redis.url).toBeUndefined();
    expect(config.limits.multipart.fileBytes).toBe(256 * 1024 * 1024);
    expect(config.releases.graceMs).toBe(3 * 3_600_000);
    expect(config.database.url).toBeUndefined();
    expect(config.s3.endpoint).toBeUndefined();
    expect(config.objectCache.maxBytes).toBe(8 * 1024 * 1024 * 1024);
  });

  it('names every variable with a wrong value', () => {
    expect(() => parseEnvironment({ PORT: 'eighty', SIGDESK_MAX_SAMPLE_BYTES: '-1' })).toThrow(ConfigError);
    try {
      parseEnvironment({ PORT: 'eighty', SIGDESK_MAX_SAMPLE_BYTES: '-1' });
    } catch (error) {
      expect((error as Error).message).toContain('PORT');
      expect((error as Error).message).toContain('SIGDESK_MAX_SAMPLE_BYTES');
    }
  });

  it('refuses an object cache size that is not a positive number of bytes, naming the variable', () => {
    for (const value of ['0', '-1', '8GiB', '1.5']) {
      expect(() => parseEnvironment({ SIGDESK_OBJECT_CACHE_MAX_BYTES: value })).toThrow(
        /SIGDESK_OBJECT_CACHE_MAX_BYTES/,
      );
    }
    expect(new AppConfig(parseEnvironment({ SIGDESK_OBJECT_CACHE_MAX_BYTES: '1048576' })).objectCache.maxBytes).toBe(
      1_048_576,
    );
  });

  it('has connection timeouts and rate limits that a customer on a slow line never reaches', () => {
    const config = new AppConfig(parseEnvironment({}));
    expect(config.http).toMatchObject({
      headersTimeoutMs: 30_000,
      requestTimeoutMs: 120_000,
      keepAliveTimeoutMs: 72_000,
      idleTimeoutMs: 300_000,
      uploadMinRate: { bytesPerSecond: 1024, windowMs: 60_000 },
    });
    expect(config.rateLimits).toEqual({ windowSeconds: 60, perKey: 600, perAddress: 300, failedAuthPerAddress: 30 });
  });

  it('refuses timeouts and rate limits out of range, naming the variable', () => {
    expect(() => parseEnvironment({ SIGDESK_HTTP_REQUEST_TIMEOUT_SECONDS: '0' })).toThrow(
      /SIGDESK_HTTP_REQUEST_TIMEOUT_SECONDS/,
    );
    expect(() => parseEnvironment({ SIGDESK_UPLOAD_MIN_RATE_KIB: '-1' })).toThrow(/SIGDESK_UPLOAD_MIN_RATE_KIB/);
    expect(() => parseEnvironment({ SIGDESK_RATE_LIMIT_PER_KEY: '1.5' })).toThrow(/SIGDESK_RATE_LIMIT_PER_KEY/);
    expect(() => parseEnvironment({ SIGDESK_RATE_LIMIT_WINDOW_SECONDS: '0' })).toThrow(
      /SIGDESK_RATE_LIMIT_WINDOW_SECONDS/,
    );
  });

  it('refuses a bootstrap admin key too short to be a secret', () => {
    expect(() => parseEnvironment({ SIGDESK_BOOTSTRAP_ADMIN_KEY: 'short' })).toThrow(/SIGDESK_BOOTSTRAP_ADMIN_KEY/);
  });

  it('has no default S3 keys: an S3 server given by S3_ENDPOINT needs both, and neither goes alone', () => {
    const embedded = new AppConfig(parseEnvironment({}));
    expect(embedded.s3.credentials).toBeUndefined();
    expect(() => parseEnvironment({ S3_ENDPOINT: 'http://minio:9000' })).toThrow(
      /S3_ACCESS_KEY_ID: required with S3_ENDPOINT\n\s+S3_SECRET_ACCESS_KEY: required with S3_ENDPOINT/,
    );
    expect(() => parseEnvironment({ S3_ACCESS_KEY_ID: 'sigdesk' })).toThrow(
      /S3_SECRET_ACCESS_KEY: required with S3_ACCESS_KEY_ID/,
    );
    expect(() => parseEnvironment({ S3_ENDPOINT: 'http://minio:9000', S3_SECRET_ACCESS_KEY: 'secret' })).toThrow(
      /S3_ACCESS_KEY_ID: required with S3_SECRET_ACCESS_KEY/,
    );
    const given = new AppConfig(
      parseEnvironment({
        S3_ENDPOINT: 'http://minio:9000',
        S3_ACCESS_KEY_ID: 'sigdesk',
        S3_SECRET_ACCESS_KEY: 'secret',
      }),
    );
    expect(given.s3.credentials).toEqual({ accessKeyId: 'sigdesk', secretAccessKey: 'secret' });
    // the embedded S3 server takes the operator's keys too
    expect(
      new AppConfig(parseEnvironment({ S3_ACCESS_KEY_ID: 'sigdesk', S3_SECRET_ACCESS_KEY: 'secret' })).s3.credentials,
    ).toEqual({ accessKeyId: 'sigdesk', secretAccessKey: 'secret' });
  });

  it('gives every client-controlled bound a default, each overridden by its own variable', () => {
    const defaults = new AppConfig(parseEnvironment({})).limits;
    expect(defaults).toMatchObject({
      http: { headerBytes: 16 * 1024, headerCount: 64, urlBytes: 2048 },
      json: { bodyBytes: 1024 * 1024, depth: 8, keys: 64, arrayItems: 1000 },
      multipart: { files: 20, fields: 20, fieldBytes: 64 * 1024, uploadBytes: 1024 * 1024 * 1024 },
      archive: { maxEntries: 200, maxRatio: 200, maxNesting: 2 },
      pageSize: 200,
      webhooksPerOrganization: 10,
      apiKeysPerOrganization: 20,
    });
    const given = new AppConfig(
      parseEnvironment({
        SIGDESK_LIMIT_HEADER_COUNT: '20',
        SIGDESK_LIMIT_URL_BYTES: '512',
        SIGDESK_LIMIT_JSON_BODY_BYTES: '4096',
        SIGDESK_LIMIT_PAGE_SIZE: '150',
        SIGDESK_LIMIT_WEBHOOKS_PER_ORGANIZATION: '2',
        SIGDESK_LIMIT_API_KEYS_PER_ORGANIZATION: '3',
        SIGDESK_MAX_FILES_PER_SUBMISSION: '3',
      }),
    ).limits;
    expect(given).toMatchObject({
      http: { headerCount: 20, urlBytes: 512 },
      json: { bodyBytes: 4096 },
      multipart: { files: 3 },
      pageSize: 150,
      webhooksPerOrganization: 2,
      apiKeysPerOrganization: 3,
    });
  });

  it('refuses an upload bound smaller than one sample, naming the variable', () => {
    expect(() =>
      parseEnvironment({ SIGDESK_MAX_SAMPLE_BYTES: String(2 * 1024 * 1024), SIGDESK_LIMIT_UPLOAD_BYTES: '1048576' }),
    ).toThrow(/SIGDESK_LIMIT_UPLOAD_BYTES/);
  });

  it('refuses loopback and private webhook receivers unless an operator allows them', () => {
    expect(new AppConfig(parseEnvironment({})).webhooks).toEqual({
      allowLoopback: false,
      allowPrivate: false,
      dnsServers: undefined,
      connectTimeoutMs: 5_000,
      timeoutMs: 10_000,
      concurrency: 16,
      organizationConcurrency: 4,
    });
    const opened = new AppConfig(
      parseEnvironment({ SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'true', SIGDESK_WEBHOOKS_ALLOW_PRIVATE: '1' }),
    );
    expect(opened.webhooks).toMatchObject({ allowLoopback: true, allowPrivate: true });
    expect(() => parseEnvironment({ SIGDESK_WEBHOOKS_ALLOW_LOOPBACK: 'yes' })).toThrow(
      /SIGDESK_WEBHOOKS_ALLOW_LOOPBACK/,
    );
  });

  it('takes the DNS servers for webhook receivers as a list of addresses with optional ports', () => {
    const config = new AppConfig(
      parseEnvironment({ SIGDESK_WEBHOOKS_DNS_SERVERS: '10.0.0.53, 127.0.0.1:5353,2001:db8::53,[2001:db8::54]:53' }),
    );
    expect(config.webhooks.dnsServers).toEqual(['10.0.0.53', '127.0.0.1:5353', '2001:db8::53', '[2001:db8::54]:53']);
    for (const value of ['dns.example.com', '10.0.0.53:99999', '10.0.0.300', '[10.0.0.53]:53']) {
      expect(() => parseEnvironment({ SIGDESK_WEBHOOKS_DNS_SERVERS: value })).toThrow(/SIGDESK_WEBHOOKS_DNS_SERVERS/);
    }
  });

  it('takes webhook timeouts in seconds, fractions allowed, within bounds', () => {
    const config = new AppConfig(
      parseEnvironment({ SIGDESK_WEBHOOKS_CONNECT_TIMEOUT_SECONDS: '0.5', SIGDESK_WEBHOOKS_TIMEOUT_SECONDS: '2' }),
    );
    expect(config.webhooks).toMatchObject({ connectTimeoutMs: 500, timeoutMs: 2_000 });
    expect(() => parseEnvironment({ SIGDESK_WEBHOOKS_TIMEOUT_SECONDS: '0' })).toThrow(
      /SIGDESK_WEBHOOKS_TIMEOUT_SECONDS/,
    );
    expect(() => parseEnvironment({ SIGDESK_WEBHOOKS_ORGANIZATION_CONCURRENCY: '0' })).toThrow(
      /SIGDESK_WEBHOOKS_ORGANIZATION_CONCURRENCY/,
    );
  });

  it("gives people's accounts their documented defaults, each overridable", () => {
    const defaults = new AppConfig(parseEnvironment({ PORT: '8080' })).people;
    expect(defaults).toEqual({
      publicUrl: 'http://localhost:8080',
      smtpUrl: undefined,
      mailFrom: 'sigdesk <sigdesk@localhost>',
      sessionIdleMs: 12 * 3_600_000,
      sessionAbsoluteMs: 7 * 86_400_000,
      invitationTtlMs: 72 * 3_600_000,
      passwordResetTtlMs: 3_600_000,
      requireTotpForStaff: false,
    });
    const given = new AppConfig(
      parseEnvironment({
        SIGDESK_PUBLIC_URL: 'https://sigdesk.example/',
        SIGDESK_SMTP_URL: 'smtps://user:pass@mail.example:465',
        SIGDESK_SESSION_IDLE_HOURS: '0.5',
        SIGDESK_SESSION_ABSOLUTE_DAYS: '1',
        SIGDESK_INVITATION_TTL_HOURS: '24',
        SIGDESK_REQUIRE_TOTP_FOR_STAFF: 'true',
      }),
    ).people;
    expect(given).toMatchObject({
      publicUrl: 'https://sigdesk.example',
      smtpUrl: 'smtps://user:pass@mail.example:465',
      sessionIdleMs: 1_800_000,
      sessionAbsoluteMs: 86_400_000,
      invitationTtlMs: 86_400_000,
      requireTotpForStaff: true,
    });
    expect(() => parseEnvironment({ SIGDESK_SMTP_URL: 'http://mail.example' })).toThrow(/SIGDESK_SMTP_URL/);
    expect(() => parseEnvironment({ SIGDESK_PUBLIC_URL: 'ftp://sigdesk.example' })).toThrow(/SIGDESK_PUBLIC_URL/);
    expect(() => parseEnvironment({ SIGDESK_SESSION_IDLE_HOURS: '0' })).toThrow(/SIGDESK_SESSION_IDLE_HOURS/);
  });

  it('trusts no proxy by default, and the addresses, ranges and named ranges it is given', () => {
    expect(new AppConfig(parseEnvironment({})).http.trustProxy).toBeUndefined();
    expect(
      new AppConfig(parseEnvironment({ SIGDESK_TRUST_PROXY: '10.0.0.1, 172.16.0.0/12,uniquelocal,::1' })).http
        .trustProxy,
    ).toEqual(['10.0.0.1', '172.16.0.0/12', 'uniquelocal', '::1']);
    for (const value of ['gateway', '10.0.0.0/33', '10.0.0.300', 'true']) {
      expect(() => parseEnvironment({ SIGDESK_TRUST_PROXY: value })).toThrow(/SIGDESK_TRUST_PROXY/);
    }
  });

  it('treats empty variables as unset', () => {
    expect(parseEnvironment({ S3_ENDPOINT: '' }).S3_ENDPOINT).toBeUndefined();
  });
});
