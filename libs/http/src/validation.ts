import { z } from 'zod';
import { AppError } from './app-error';
import { wholeNumberText } from './input';

/** Parses untrusted input with a schema; a failure is a 400 listing each field and what is wrong with it. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, what = 'request'): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = result.error.issues.map((issue) => ({
    field: issue.path.join('.') || '(body)',
    problem: issue.message,
  }));
  throw AppError.badRequest(
    'invalid_input',
    `The ${what} is not valid: ${fields.map((f) => `${f.field}: ${f.problem}`).join('; ')}.`,
    { fields },
  );
}

/** The OpenAPI schema of a zod schema, so that /docs is generated from the same code that validates. */
export function openApiSchema(schema: z.ZodType): Record<string, unknown> {
  return z.toJSONSchema(schema, { target: 'openapi-3.0', io: 'input', unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
}

/** The `limit` of a list page: a whole number from 1, `fallback` when absent; see {@link withinPageSize}. */
export const pageLimit = (fallback: number) => wholeNumberText().default(fallback);

/**
 * The query of a list, refused when it asks for a page larger than the configured page size (`limits.pageSize`):
 * the bound is configuration, so it is not in the static schema.
 */
export function withinPageSize<T extends { limit: number }>(query: T, maxPageSize: number): T {
  if (query.limit <= maxPageSize) return query;
  const problem = `must be at most ${maxPageSize}`;
  throw AppError.badRequest('invalid_input', `The query is not valid: limit: ${problem}.`, {
    fields: [{ field: 'limit', problem }],
    maxPageSize,
  });
}
