import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Limits } from '@sigdesk/config';
import { AppError } from '@sigdesk/http';

/** Hooks that hold every request to the HTTP bounds. */
export function enforceHttpLimits(fastify: FastifyInstance, limits: Limits): void {
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const url = request.raw.url ?? '';
    if (url.length > limits.http.urlBytes) {
      return refuse(
        reply,
        414,
        'url_too_long',
        `The URL is longer than the ${limits.http.urlBytes} characters it may have.`,
        {
          maxUrlBytes: limits.http.urlBytes,
        },
      );
    }
    const headerCount = request.raw.rawHeaders.length / 2;
    if (headerCount > limits.http.headerCount) {
      return refuse(reply, 431, 'too_many_headers', `A request may have at most ${limits.http.headerCount} headers.`, {
        maxHeaders: limits.http.headerCount,
      });
    }
  });

  // A refused request whose body is still unread (an upload refused before its files) is not read on: the
  // connection closes after the answer instead of draining whatever the client keeps sending.
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    if (reply.statusCode >= 400 && !request.raw.complete) void reply.header('connection', 'close');
    return payload;
  });

  // the body's size is bounded while it is read (`bodyLimit`); its structure once it is parsed
  fastify.addHook('preValidation', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.body === undefined || request.body === null) return;
    const violation = jsonBoundsViolation(request.body, limits);
    if (violation) {
      const { error, message, ...details } = violation.getResponse() as { error: string; message: string };
      return refuse(reply, violation.getStatus(), error, message, details);
    }
  });
}

/**
 * The first bound a parsed JSON body breaks, if any: nesting depth, keys per object, items per array, characters
 * per string (keys included). Walked without recursion.
 */
export function jsonBoundsViolation(root: unknown, limits: Limits): AppError | undefined {
  const stack: Array<{ value: unknown; depth: number }> = [{ value: root, depth: 0 }];
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (typeof value === 'string') {
      if (value.length > limits.stringChars) return stringTooLong(limits.stringChars);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= limits.json.depth) {
      return AppError.badRequest('json_too_deep', `JSON may nest objects and arrays ${limits.json.depth} deep.`, {
        maxDepth: limits.json.depth,
      });
    }
    if (Array.isArray(value)) {
      if (value.length > limits.json.arrayItems) {
        return AppError.badRequest('too_many_items', `A JSON array may hold at most ${limits.json.arrayItems} items.`, {
          maxItems: limits.json.arrayItems,
        });
      }
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > limits.json.keys) {
      return AppError.badRequest('too_many_keys', `A JSON object may have at most ${limits.json.keys} keys.`, {
        maxKeys: limits.json.keys,
      });
    }
    for (const key of keys) {
      if (key.length > limits.stringChars) return stringTooLong(limits.stringChars);
      stack.push({ value: (value as Record<string, unknown>)[key], depth: depth + 1 });
    }
  }
  return undefined;
}

function stringTooLong(maxChars: number) {
  return AppError.tooLarge('string_too_long', `A string in the request is longer than ${maxChars} characters.`, {
    maxStringChars: maxChars,
  });
}

/** Answers in the API's error shape from a hook, before any route (and its error filter) runs. */
function refuse(reply: FastifyReply, status: number, error: string, message: string, details: object) {
  return reply
    .status(status)
    .header('content-type', 'application/json; charset=utf-8')
    .send({ error, message, ...details });
}
