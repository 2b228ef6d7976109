/**
 * Headers the relay acts on must arrive once, with one value. With two `Idempotency-Key` headers
 * API Gateway (REST) keeps the last in `headers` and all of them in `multiValueHeaders`; a proxy
 * may have used the first. Whichever the relay picked, a retry carrying the other value would
 * start a second sale. So a repeat, or a comma-joined list, is refused before anything is read.
 */
import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEvent } from 'aws-lambda';

/**
 * Every request header the relay (handlers, authorizer, middlewares) reads. `x-api-key` is not read
 * by the relay itself (the usage-plan key comes from the authorizer) but a repeated one would make
 * API Gateway's metering ambiguous. `origin` is read by CORS.
 */
export const singleValueHeaders = ['idempotency-key', 'authorization', 'x-api-key', 'content-type', 'origin'] as const;

/** How the header is named in problems (its usual spelling). */
const displayNames: Record<(typeof singleValueHeaders)[number], string> = {
  'idempotency-key': 'Idempotency-Key',
  authorization: 'Authorization',
  'x-api-key': 'x-api-key',
  'content-type': 'Content-Type',
  origin: 'Origin',
};

type HeaderEvent = Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>;

/** The first relied-on header that is repeated or holds a comma-joined list, or undefined. */
export function repeatedHeader(event: HeaderEvent): string | undefined {
  for (const name of singleValueHeaders) {
    const values: string[] = [];
    let singleEntries = 0;
    for (const [key, list] of Object.entries(event.multiValueHeaders ?? {})) {
      if (key.toLowerCase() === name) values.push(...(list ?? []));
    }
    for (const [key, value] of Object.entries(event.headers ?? {})) {
      if (key.toLowerCase() !== name) continue;
      singleEntries++;
      if (values.length === 0 && value !== undefined) values.push(value);
    }
    if (values.length > 1 || singleEntries > 1 || values.some((v) => v.includes(','))) return displayNames[name];
  }
  return undefined;
}

/** Refuses the request (400 `duplicate-header`) before any handler reads a header. */
export function singleHeaders(refuse: (header: string) => Error): MiddlewareObj<APIGatewayProxyEvent> {
  return {
    before: (request) => {
      const header = repeatedHeader(request.event);
      if (header !== undefined) throw refuse(header);
    },
  };
}
