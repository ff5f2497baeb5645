import { translationKey, type TranslationKey } from '../i18n';
import { ApiError } from './client';

/** What to tell a person about a failed request: a catalog key and its values. */
export interface ErrorMessage {
  key: TranslationKey;
  values: Record<string, string | number>;
}

/** The API's stable codes that have a sentence of their own. */
const BY_CODE: Record<string, TranslationKey> = {
  network_error: translationKey('errors.network'),
  unexpected_response: translationKey('errors.unexpected'),
  unauthorized: translationKey('errors.unauthorized'),
  invalid_credentials: translationKey('errors.invalidCredentials'),
  totp_invalid: translationKey('errors.totpInvalid'),
  link_invalid: translationKey('errors.linkInvalid'),
  password_too_short: translationKey('errors.passwordTooShort'),
  password_too_long: translationKey('errors.passwordTooLong'),
  password_is_email: translationKey('errors.passwordIsEmail'),
  csrf_invalid: translationKey('errors.csrfInvalid'),
  totp_already_enabled: translationKey('errors.totpAlreadyEnabled'),
  cannot_disable_self: translationKey('errors.cannotDisableSelf'),
  forbidden: translationKey('errors.forbidden'),
  not_found: translationKey('errors.notFound'),
  payload_too_large: translationKey('errors.tooLarge'),
  unavailable: translationKey('errors.unavailable'),
  internal_error: translationKey('errors.internal'),
};

/** Any other code, by its status. */
const BY_STATUS: Record<number, TranslationKey> = {
  400: translationKey('errors.badRequest'),
  401: translationKey('errors.unauthorized'),
  403: translationKey('errors.forbidden'),
  404: translationKey('errors.notFound'),
  409: translationKey('errors.conflict'),
  413: translationKey('errors.tooLarge'),
  422: translationKey('errors.unprocessable'),
  503: translationKey('errors.unavailable'),
};

/**
 * The message for an error of the API (or of the network). Codes without a sentence of their own fall back to
 * their status; the API's own sentence (English) fills in `detail` where the fallback quotes it.
 */
export function describeError(error: unknown): ErrorMessage {
  if (!(error instanceof ApiError)) {
    return { key: translationKey('errors.network'), values: {} };
  }
  const values: Record<string, string | number> = { status: error.status, detail: error.message };
  if (typeof error.details.correlationId === 'string') values.correlationId = error.details.correlationId;
  if (error.status === 429) {
    // Retry-After, else the body's retryAfterSeconds (a proxy may drop the header)
    const bodyWait = error.details.retryAfterSeconds;
    const seconds = error.retryAfterSeconds ?? (typeof bodyWait === 'number' && bodyWait >= 0 ? bodyWait : undefined);
    if (seconds === undefined) return { key: translationKey('errors.rateLimitedSoon'), values };
    return { key: translationKey('errors.rateLimited'), values: { ...values, seconds } };
  }
  const key = BY_CODE[error.code] ?? BY_STATUS[error.status] ?? translationKey('errors.other');
  return { key, values };
}
