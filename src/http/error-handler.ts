// Maps every error to the body and status of API.md. Domain errors map by code; fastify's own errors
// (bad JSON, body too large, validation) by their fastify code; anything else is a 500 that is logged.
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { HTTP_STATUS, isRealmError, type ErrorCode } from '../errors.js';

export interface ErrorBody {
  error: { code: ErrorCode; message: string };
  [extra: string]: unknown;
}

export function errorBody(code: ErrorCode, message: string, extra: Record<string, unknown> = {}): ErrorBody {
  return { error: { code, message }, ...extra };
}

const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'invalid_argument',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_argument',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_argument',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_argument',
  FST_ERR_VALIDATION: 'invalid_argument',
  FST_ERR_BAD_URL: 'invalid_argument',
  FST_ERR_MAX_PARAM_LENGTH: 'invalid_argument',
  FST_ERR_ASYNC_CONSTRAINT: 'invalid_argument',
};

const MESSAGES: Partial<Record<string, string>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'request body is larger than 1 MiB',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'send a JSON body with content-type: application/json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'the JSON body is empty',
  FST_ERR_BAD_URL: 'the URL is not valid percent-encoded UTF-8',
  FST_ERR_MAX_PARAM_LENGTH: 'a path parameter is too long',
};

function statusToCode(status: number): ErrorCode | undefined {
  const match = (Object.entries(HTTP_STATUS) as Array<[ErrorCode, number]>).find(([, s]) => s === status);
  return match?.[0];
}

function handleError(err: FastifyError, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  if (isRealmError(err)) {
    if (err.code === 'unavailable') req.log.warn({ err }, 'unavailable');
    if (err.code === 'rate_limited' && typeof err.details.retryAfterSeconds === 'number') reply.header('retry-after', String(err.details.retryAfterSeconds));
    return reply.status(err.status).send(errorBody(err.code, err.message, { ...err.details }));
  }
  // fastify marks a failed schema validation with this code (and `validation` for its own validators) and the part.
  if (err.validation || (err.code === 'FST_ERR_VALIDATION' && err.validationContext)) {
    const where = err.validationContext === 'querystring' ? 'query' : err.validationContext === 'params' ? 'path' : (err.validationContext ?? 'request');
    return reply.status(400).send(errorBody('invalid_argument', `invalid ${where}: ${err.message}`));
  }
  const mapped = err.code ? FASTIFY_CODES[err.code] : undefined;
  if (mapped) return reply.status(HTTP_STATUS[mapped]).send(errorBody(mapped, MESSAGES[err.code] ?? err.message));
  if (err instanceof SyntaxError || (err.statusCode === 400 && /JSON/i.test(err.message))) {
    return reply.status(400).send(errorBody('invalid_argument', `malformed JSON: ${err.message}`));
  }
  const status = err.statusCode ?? 500;
  const code = status >= 400 && status < 500 ? (statusToCode(status) ?? 'invalid_argument') : 'internal';
  if (code === 'internal') {
    req.log.error({ err }, 'unhandled error');
    return reply.status(500).send(errorBody('internal', 'internal error; see the server log'));
  }
  return reply.status(HTTP_STATUS[code]).send(errorBody(code, err.message));
}

/**
 * fastify's `frameworkErrors` option: errors its router raises before a route is chosen (a URL that is not valid
 * percent-encoded UTF-8, a path parameter over maxParamLength). Without it they got fastify's own body and a 414.
 */
export function frameworkErrorHandler(err: FastifyError, req: FastifyRequest, reply: FastifyReply): void {
  void handleError(err, req, reply);
}

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(handleError);

  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send(errorBody('not_found', `no route ${req.method} ${req.url.split('?')[0]}`));
  });
}
