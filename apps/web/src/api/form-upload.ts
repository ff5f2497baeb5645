import { api, ApiError, CSRF_HEADER, errorFromBody, type ApiClient } from './client';

export interface UploadProgress {
  sent: number;
  total: number;
}

export interface Upload<T> {
  /** The API's answer (a 2xx with a JSON body), or its error as an ApiError. */
  done: Promise<T>;
  cancel(): void;
}

/** Thrown when the person cancelled the upload. */
export class UploadCancelled extends Error {
  constructor() {
    super('upload cancelled');
    this.name = 'UploadCancelled';
  }
}

function headersOf(xhr: XMLHttpRequest): Headers {
  const headers = new Headers();
  for (const line of xhr
    .getAllResponseHeaders()
    .trim()
    .split(/[\r\n]+/)) {
    const at = line.indexOf(':');
    if (at > 0) headers.append(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return headers;
}

/**
 * `POST` of a multipart form with XMLHttpRequest, whose upload reports progress (fetch does not), with the session's
 * CSRF token as every state-changing request of the app. `isAnswer` tells a body of the expected shape.
 */
export function uploadForm<T>(options: {
  path: string;
  form: FormData;
  headers?: Record<string, string>;
  onProgress(progress: UploadProgress): void;
  isAnswer(body: unknown): body is T;
  client?: ApiClient;
}): Upload<T> {
  const xhr = new XMLHttpRequest();
  let cancelled = false;
  const done = (async () => {
    const csrfToken = await (options.client ?? api).csrfToken();
    if (cancelled) throw new UploadCancelled();
    return new Promise<T>((resolve, reject) => {
      xhr.open('POST', options.path);
      xhr.setRequestHeader('accept', 'application/json');
      for (const [name, value] of Object.entries(options.headers ?? {})) xhr.setRequestHeader(name, value);
      if (csrfToken) xhr.setRequestHeader(CSRF_HEADER, csrfToken);
      xhr.withCredentials = true;
      xhr.upload.onprogress = (event) => {
        if (event.lengthComputable) options.onProgress({ sent: event.loaded, total: event.total });
      };
      xhr.onabort = () => reject(new UploadCancelled());
      xhr.onerror = () => reject(new ApiError(0, 'network_error', 'The upload did not reach sigdesk'));
      xhr.onload = () => {
        let body: unknown;
        try {
          body = xhr.responseText ? JSON.parse(xhr.responseText) : undefined;
        } catch {
          body = undefined;
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          if (options.isAnswer(body)) return resolve(body);
          return reject(new ApiError(xhr.status, 'unexpected_response', 'The server did not answer as expected'));
        }
        reject(errorFromBody(xhr.status, xhr.statusText, headersOf(xhr), body));
      };
      xhr.send(options.form);
    });
  })();
  return {
    done,
    cancel: () => {
      cancelled = true;
      xhr.abort();
    },
  };
}
