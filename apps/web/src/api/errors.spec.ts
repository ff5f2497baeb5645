import { ApiError } from './client';
import { describeError } from './errors';

describe('describeError', () => {
  it('has a sentence for the codes a person meets', () => {
    expect(describeError(new ApiError(0, 'network_error', 'fetch failed')).key).toBe('errors.network');
    expect(describeError(new ApiError(401, 'invalid_credentials', 'Wrong.')).key).toBe('errors.invalidCredentials');
    expect(describeError(new ApiError(503, 'unavailable', 'Down.', { dependency: 'database' })).key).toBe(
      'errors.unavailable',
    );
  });

  it('says how long to wait when the API is rate limiting', () => {
    expect(describeError(new ApiError(429, 'rate_limited', 'Slow down.', {}, 30))).toEqual({
      key: 'errors.rateLimited',
      values: { status: 429, detail: 'Slow down.', seconds: 30 },
    });
    expect(describeError(new ApiError(429, 'rate_limited', 'Slow down.')).key).toBe('errors.rateLimitedSoon');
  });

  it('gives the correlation id of an error on our side', () => {
    const message = describeError(new ApiError(500, 'internal_error', 'Oops.', { correlationId: 'req-7' }));
    expect(message).toMatchObject({ key: 'errors.internal', values: { correlationId: 'req-7' } });
  });

  it("falls back on the status for a code it does not know, quoting the API's sentence", () => {
    expect(describeError(new ApiError(422, 'outdated_databases', 'Update to 102 first.'))).toEqual({
      key: 'errors.unprocessable',
      values: { status: 422, detail: 'Update to 102 first.' },
    });
    expect(describeError(new ApiError(418, 'teapot', 'No.')).key).toBe('errors.other');
    expect(describeError(new ApiError(500, 'engine_crashed', 'The engine crashed.')).key).toBe('errors.other');
    expect(describeError(new ApiError(502, 'unexpected_response', 'Bad gateway')).key).toBe('errors.unexpected');
  });

  it('treats anything else thrown as a failure to reach sigdesk', () => {
    expect(describeError(new TypeError('Failed to fetch')).key).toBe('errors.network');
  });

  it("translates the people's codes: links, the password policy, CSRF", () => {
    expect(describeError(new ApiError(410, 'link_invalid', 'Gone.')).key).toBe('errors.linkInvalid');
    expect(describeError(new ApiError(422, 'password_too_short', 'Short.')).key).toBe('errors.passwordTooShort');
    expect(describeError(new ApiError(422, 'password_too_long', 'Long.')).key).toBe('errors.passwordTooLong');
    expect(describeError(new ApiError(422, 'password_is_email', 'Email.')).key).toBe('errors.passwordIsEmail');
    expect(describeError(new ApiError(403, 'csrf_invalid', 'No token.')).key).toBe('errors.csrfInvalid');
  });

  it("takes the wait from the body's retryAfterSeconds when the header is missing, never a nonsense one", () => {
    expect(describeError(new ApiError(429, 'rate_limited', 'Slow down.', { retryAfterSeconds: 42 }))).toMatchObject({
      key: 'errors.rateLimited',
      values: { seconds: 42 },
    });
    expect(describeError(new ApiError(429, 'rate_limited', 'Slow down.', { retryAfterSeconds: 'soon' })).key).toBe(
      'errors.rateLimitedSoon',
    );
  });
});
