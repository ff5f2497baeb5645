import { AppConfig } from './app-config';
import { ConfigError, parseEnvironment } from './config.schema';

describe(parseEnvironment.name, () => {
  it('applies the documented defaults', () => {
    const config = new AppConfig(parseEnvironment({}));
    expect(config.http.port).toBe(3000);
    expect(config.redis.url).toBeUndefined();
    expect(config.intake.maxSampleBytes).toBe(256 * 1024 * 1024);
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

  it('refuses a bootstrap admin key too short to be a secret', () => {
    expect(() => parseEnvironment({ SIGDESK_BOOTSTRAP_ADMIN_KEY: 'short' })).toThrow(/SIGDESK_BOOTSTRAP_ADMIN_KEY/);
  });

  it('treats empty variables as unset', () => {
    expect(parseEnvironment({ S3_ENDPOINT: '' }).S3_ENDPOINT).toBeUndefined();
  });
});
