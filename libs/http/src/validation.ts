import { z } from 'zod';
import { AppError } from './app-error';

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
