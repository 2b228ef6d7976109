/**
 * Metrics (Powertools Metrics, EMF), traces (Powertools Tracer, X-Ray) and request correlation for
 * every relay function, in one place. Recording is a one-line call where an outcome is stored;
 * the middy middleware publishes them once per request. Metric names: metric-names.ts, shared
 * with the alarms and dashboard in infra/.
 *
 * Outside Lambda (npm start, tests) traces are off and recorded metrics are dropped instead of
 * printed, unless POWERTOOLS_METRICS_DISABLED=false asks for them. The Tracer (and the X-Ray SDK it
 * brings, with its async hooks) is loaded only in a Lambda with active tracing.
 */
import type { MiddlewareObj } from '@middy/core';
import type { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { metricNamespace, MetricName, metricService } from './metric-names.ts';

const env = process.env;

export const metrics = new Metrics({
  namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? metricNamespace,
  serviceName: env.POWERTOOLS_SERVICE_NAME ?? metricService,
  // RELAY_STAGE (lib/runtime/runtime-config.ts): the dimension the alarms name.
  defaultDimensions: { stage: env.RELAY_STAGE ?? 'unknown' },
});

/** Lambda sets the daemon address only when the function has active tracing. */
const tracingOn = env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.AWS_XRAY_DAEMON_ADDRESS !== undefined && env.POWERTOOLS_TRACE_ENABLED !== 'false';

/**
 * Traces outgoing HTTPS (SmartConnect) as subsegments, from the moment it is loaded (during the
 * container's init). Undefined where tracing is off: nothing of the X-Ray SDK is evaluated there.
 */
export const tracer: Promise<Tracer | undefined> = tracingOn
  ? import('@aws-lambda-powertools/tracer').then(({ Tracer }) => new Tracer({ serviceName: env.POWERTOOLS_SERVICE_NAME ?? metricService }))
  : Promise.resolve(undefined);

const count = (name: MetricName, value = 1): void => {
  metrics.addMetric(name, MetricUnit.Count, value);
};

/** What one SmartConnect exchange came to, as the client classifies it (never the URL or body). */
export type SmartConnectExchangeOutcome =
  | { readonly kind: 'answer'; readonly status: number }
  | { readonly kind: 'not-sent' | 'no-answer' };

/** One call per HTTP exchange with SmartConnect: count, failures by kind, latency. */
export function recordSmartConnectExchange(outcome: SmartConnectExchangeOutcome, latencyMs: number): void {
  count(MetricName.smartConnectRequests);
  metrics.addMetric(MetricName.smartConnectLatency, MetricUnit.Milliseconds, latencyMs);
  if (outcome.kind !== 'answer') {
    count(MetricName.smartConnectErrors);
    metrics.addMetadata('smartConnectFailure', outcome.kind);
    return;
  }
  metrics.addMetadata('smartConnectStatus', String(outcome.status));
  if (outcome.status === 429) count(MetricName.smartConnectRateLimited);
  else if (outcome.status >= 400 && outcome.status < 500) count(MetricName.smartConnectRejections);
  // Redirects are never followed: for the relay they are failures like 5xx.
  else if (outcome.status >= 300) count(MetricName.smartConnectErrors);
}

export const recordPairing = (): void => {
  count(MetricName.pairings);
};

export function recordTransactionStarted(transactionType: string): void {
  count(MetricName.transactionsStarted);
  metrics.addMetadata('transactionType', transactionType);
}

/** A transaction reached its final state (only after the conditional write that put it there). */
export function recordTransactionFinal(transactionType: string, outcome: string | undefined, unknownReason?: string): void {
  count(MetricName.transactionsCompleted);
  metrics.addMetadata('transactionType', transactionType);
  metrics.addMetadata('outcome', outcome ?? 'none');
  if (outcome === 'UNKNOWN') {
    count(MetricName.unknownOutcomes);
    if (unknownReason) metrics.addMetadata('unknownReason', unknownReason);
  }
}

export const recordPollAttempt = (): void => {
  count(MetricName.pollAttempts);
};

/** Publishes what this invocation recorded (one EMF line), or drops it outside Lambda. */
export function flushMetrics(): void {
  if (!metrics.hasStoredMetrics()) return;
  const publish = env.POWERTOOLS_METRICS_DISABLED === 'false' || (env.AWS_LAMBDA_FUNCTION_NAME !== undefined && env.POWERTOOLS_METRICS_DISABLED !== 'true');
  if (publish) metrics.publishStoredMetrics();
  else metrics.clearMetrics();
}

/** The header that carries API Gateway's request id back to the caller, for support to find the logs. */
export const requestIdHeader = 'X-Request-Id';

type Segment = NonNullable<ReturnType<Tracer['getSegment']>>;
type ApiLikeEvent = { readonly requestContext?: { readonly requestId?: string } | null };
type ApiLikeResult = { headers?: Record<string, boolean | number | string> } | undefined;

/**
 * Correlation and telemetry for an HTTP function: the API Gateway request id on every log line of
 * the request (a persistent logger key, removed afterwards) and in the `X-Request-Id` response
 * header, an X-Ray annotation, and the request's metrics published at the end, errors included.
 * Use it first, so its after/onError run last, on the final response.
 */
export function telemetry<TEvent extends ApiLikeEvent, TResult extends ApiLikeResult>(logger: Logger): MiddlewareObj<TEvent, TResult> {
  // One invocation at a time per Lambda container; the local server never traces.
  let requestId: string | undefined;
  let trace: { tracer: Tracer; parent: Segment; handler: Segment } | undefined;
  const finish = (request: { response: TResult | null | undefined; error?: unknown }) => {
    if (requestId && request.response) request.response.headers = { ...request.response.headers, [requestIdHeader]: requestId };
    logger.removePersistentKeys(['apiGatewayRequestId']);
    flushMetrics();
    if (trace) {
      if (request.error instanceof Error) trace.tracer.addErrorAsMetadata(request.error);
      trace.handler.close();
      trace.tracer.setSegment(trace.parent);
      trace = undefined;
    }
  };
  return {
    before: async (request) => {
      requestId = request.event.requestContext?.requestId;
      if (requestId) logger.appendPersistentKeys({ apiGatewayRequestId: requestId });
      // What Powertools' captureLambdaHandler does, without loading the Tracer where tracing is off.
      // No response is recorded: answers carry payment data.
      const loaded = await tracer;
      const parent = loaded?.getSegment();
      if (loaded && parent) {
        const handler = parent.addNewSubsegment('## handler');
        loaded.setSegment(handler);
        loaded.annotateColdStart();
        loaded.addServiceNameAnnotation();
        if (requestId) loaded.putAnnotation('apiGatewayRequestId', requestId);
        trace = { tracer: loaded, parent, handler };
      }
    },
    after: finish,
    onError: finish,
  };
}
