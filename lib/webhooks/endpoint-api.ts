/** What the webhook endpoint routes share: the request schema, the endpoint id and the 404. */
import * as z from 'zod/mini';
import { problems, RelayProblem } from '#http/problem.ts';
import { webhookEventTypes } from './events.ts';
import { maxUrlLength } from './url-policy.ts';

export const createEndpointRequest = z.strictObject({
  url: z.string({ error: 'is required: the https URL the relay POSTs events to' }).check(z.maxLength(maxUrlLength, { error: `must be at most ${maxUrlLength} characters` })),
  events: z.optional(
    z.array(z.enum(webhookEventTypes, { error: `must be one of ${webhookEventTypes.join(', ')}` })).check(z.minLength(1, { error: 'must name at least one event type (or leave it out for all)' })),
  ),
});

export const endpointIdSchema = z.string({ error: 'is required' }).check(z.uuid({ error: 'must be an endpoint id returned by POST /webhook-endpoints' }));

export const endpointNotFound = (id: string) =>
  new RelayProblem({
    status: 404,
    code: 'webhook-endpoint-not-found',
    title: 'No such webhook endpoint',
    detail: `There is no webhook endpoint ${id} for this account. List yours with GET /webhook-endpoints.`,
  });

export const urlRefused = (reason: string) => problems.invalidRequest([{ field: 'url', message: reason }]);

export const tooManyEndpoints = (max: number) =>
  new RelayProblem({
    status: 409,
    code: 'too-many-webhook-endpoints',
    title: 'This account has the most webhook endpoints allowed',
    detail: `An account may register at most ${max} webhook endpoints. Delete one (DELETE /webhook-endpoints/{id}) first.`,
  });
