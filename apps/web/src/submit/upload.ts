import { api, ApiError, CSRF_HEADER, errorFromBody, type ApiClient } from '../api/client';
import type { CustomerCase } from '../api/portal';

export interface SubmissionFields {
  kind: 'false_positive' | 'false_negative';
  severity: number;
  premium: boolean;
  product: string;
  productVersion: string;
  databaseVersion: number;
  detectionName?: string;
  description: string;
}

export interface UploadProgress {
  sent: number;
  total: number;
}

export interface Upload {
  /** The case (201, or the first answer replayed for the same Idempotency-Key). */
  done: Promise<CustomerCase>;
  cancel(): void;
}

/** Thrown when the person cancelled the upload. */
export class UploadCancelled extends Error {
  constructor() {
    super('upload cancelled');
    this.name = 'UploadCancelled';
  }
}

/** A UUID for an Idempotency-Key; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The multipart body: the fields first, so that the API refuses what they make refusable before any file. */
export function submissionForm(fields: SubmissionFields, files: File[]): FormData {
  const form = new FormData();
  form.append('kind', fields.kind);
  form.append('severity', String(fields.severity));
  form.append('premium', String(fields.premium));
  form.append('product', fields.product);
  form.append('productVersion', fields.productVersion);
  form.append('databaseVersion', String(fields.databaseVersion));
  if (fields.kind === 'false_positive' && fields.detectionName) form.append('detectionName', fields.detectionName);
  form.append('description', fields.description);
  for (const file of files) form.append('sample', file, file.name);
  return form;
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
 * `POST /v1/submissions` with XMLHttpRequest, whose upload reports progress (fetch does not). Every attempt of one
 * intended submission sends the same `idempotencyKey`, so a retry after a lost answer never opens a second case.
 */
export function uploadSubmission(options: {
  fields: SubmissionFields;
  files: File[];
  idempotencyKey: string;
  onProgress(progress: UploadProgress): void;
  client?: ApiClient;
}): Upload {
  const xhr = new XMLHttpRequest();
  let cancelled = false;
  const done = (async () => {
    const csrfToken = await (options.client ?? api).csrfToken();
    if (cancelled) throw new UploadCancelled();
    return new Promise<CustomerCase>((resolve, reject) => {
      xhr.open('POST', '/v1/submissions');
      xhr.setRequestHeader('accept', 'application/json');
      xhr.setRequestHeader('Idempotency-Key', options.idempotencyKey);
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
        if (xhr.status === 200 || xhr.status === 201) {
          if (body && typeof body === 'object' && 'id' in body) return resolve(body as CustomerCase);
          return reject(new ApiError(xhr.status, 'unexpected_response', 'The server did not answer with the case'));
        }
        reject(errorFromBody(xhr.status, xhr.statusText, headersOf(xhr), body));
      };
      xhr.send(submissionForm(options.fields, options.files));
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
