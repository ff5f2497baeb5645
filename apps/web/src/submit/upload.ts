import type { ApiClient } from '../api/client';
import { uploadForm, UploadCancelled, type Upload as FormUpload, type UploadProgress } from '../api/form-upload';
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

/** Every attempt of one intended submission: the case (201, or the first answer replayed for the same key). */
export type Upload = FormUpload<CustomerCase>;

export { UploadCancelled, type UploadProgress };

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
  return uploadForm({
    path: '/v1/submissions',
    form: submissionForm(options.fields, options.files),
    headers: { 'Idempotency-Key': options.idempotencyKey },
    onProgress: options.onProgress,
    // 201, or 200: the first answer replayed for the same Idempotency-Key
    isAnswer: (body): body is CustomerCase => Boolean(body && typeof body === 'object' && 'id' in body),
    client: options.client,
  });
}
