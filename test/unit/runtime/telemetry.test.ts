/**
 * Telemetry: the EMF line a Lambda invocation publishes (namespace, the two dimensions the alarms
 * name, the metric names from lib/runtime/metric-names.ts), what the SmartConnect client records
 * per exchange, and the request id on log lines and in the X-Request-Id header.
 */
import { afterAll, afterEach, beforeAll, expect, test } from '@jest/globals';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';

process.env.RELAY_STAGE = 'dev';
const { flushMetrics, metrics, recordSmartConnectExchange, recordTransactionFinal, requestIdHeader } = await import('#runtime/telemetry.ts');
const { MetricName, metricNamespace } = await import('#runtime/metric-names.ts');
const { createSmartConnectClient } = await import('#smartconnect/smartconnect-client.ts');
const { httpHandler, jsonResponse } = await import('#http/middy-stack.ts');
const { logger } = await import('#runtime/container.ts');
const { problems } = await import('#http/problem.ts');

/** Everything written to stdout and stderr while `run` runs (Powertools writes EMF and log lines there). */
async function stdoutOf(run: () => unknown): Promise<string[]> {
  const lines: string[] = [];
  const streams = [process.stdout, process.stderr];
  const writes = streams.map((stream) => stream.write);
  for (const stream of streams) {
    stream.write = ((chunk: string | Uint8Array) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    }) as typeof stream.write;
  }
  try {
    await run();
  } finally {
    streams.forEach((stream, i) => (stream.write = writes[i]!));
  }
  return lines;
}

type Emf = { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] } } & Record<string, unknown>;
const emfOf = (lines: string[]): Emf[] => lines.map((l) => JSON.parse(l) as Emf).filter((o) => o._aws);

afterEach(() => {
  delete process.env.POWERTOOLS_METRICS_DISABLED;
  metrics.clearMetrics();
});

test('publishes one EMF line per invocation, in the relay namespace with service and stage dimensions', async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const [emf, ...rest] = emfOf(
    await stdoutOf(() => {
      recordSmartConnectExchange({ kind: 'answer', status: 503 }, 12.5);
      recordTransactionFinal('Card.Purchase', 'UNKNOWN', 'SmartConnect gave no clear answer');
      flushMetrics();
    }),
  );
  expect(rest).toEqual([]);
  const [directive] = emf!._aws.CloudWatchMetrics;
  expect(directive!.Namespace).toBe(metricNamespace);
  expect(directive!.Dimensions).toEqual([['service', 'stage']]);
  expect([emf!.service, emf!.stage]).toEqual(['smartconnect-relay', 'dev']);
  expect(directive!.Metrics.map((m) => m.Name).sort()).toEqual(
    [MetricName.smartConnectRequests, MetricName.smartConnectLatency, MetricName.smartConnectErrors, MetricName.transactionsCompleted, MetricName.unknownOutcomes].sort(),
  );
  expect(emf![MetricName.smartConnectLatency]).toBe(12.5);
  expect(emf![MetricName.unknownOutcomes]).toBe(1);
  // Details travel as metadata, never as dimensions the alarms would have to name.
  expect(emf).toMatchObject({ smartConnectStatus: '503', transactionType: 'Card.Purchase', outcome: 'UNKNOWN', unknownReason: 'SmartConnect gave no clear answer' });
});

test('outside Lambda, recorded metrics are dropped, not printed', async () => {
  expect(process.env.AWS_LAMBDA_FUNCTION_NAME).toBeUndefined();
  const lines = await stdoutOf(() => {
    recordTransactionFinal('Card.Purchase', 'APPROVED');
    flushMetrics();
  });
  expect(emfOf(lines)).toEqual([]);
  expect(metrics.hasStoredMetrics()).toBe(false);
});

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    const status = Number(req.url!.split('/').pop());
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 200 ? { transactionStatus: 'PENDING' } : { error: 'no' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('the SmartConnect client records every exchange: status class, failures and latency', async () => {
  process.env.POWERTOOLS_METRICS_DISABLED = 'false';
  const client = createSmartConnectClient({ timeoutMs: 2_000, connectRetries: 0 });
  const [emf] = emfOf(
    await stdoutOf(async () => {
      await client.poll(`${base}/poll/200`);
      await client.poll(`${base}/poll/429`);
      await client.poll(`${base}/poll/404`);
      await client.poll(`${base}/poll/500`);
      // Nothing listens on port 1: refused before anything was sent.
      await client.poll('http://127.0.0.1:1/poll');
      flushMetrics();
    }),
  );
  expect(emf![MetricName.smartConnectRequests]).toEqual([1, 1, 1, 1, 1]);
  expect(emf![MetricName.smartConnectRateLimited]).toBe(1);
  expect(emf![MetricName.smartConnectRejections]).toBe(1);
  expect(emf![MetricName.smartConnectErrors]).toEqual([1, 1]);
  expect((emf![MetricName.smartConnectLatency] as number[]).length).toBe(5);
  // Never the polling URL.
  expect(JSON.stringify(emf)).not.toContain('/poll');
});

const context = { awsRequestId: 'lambda-1', functionName: 'test', getRemainingTimeInMillis: () => 10_000 } as Context;
const event = (requestId: string) =>
  ({ httpMethod: 'GET', path: '/x', headers: {}, body: null, requestContext: { requestId } }) as unknown as Parameters<ReturnType<typeof httpHandler>>[0];

test("answers with API Gateway's request id in X-Request-Id, and puts it on every log line of the request", async () => {
  const ok = httpHandler(async () => {
    logger.warn('inside the handler');
    return jsonResponse(200, { ok: true });
  }, { authenticated: false }); // correlation is the point here, not the tenant
  let result: Awaited<ReturnType<typeof ok>> | undefined;
  const lines = await stdoutOf(async () => {
    result = await ok(event('api-req-1'), context);
  });
  expect(result!.headers?.[requestIdHeader]).toBe('api-req-1');
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.message === 'inside the handler');
  expect(logged).toHaveLength(1);
  expect(logged[0]!.apiGatewayRequestId).toBe('api-req-1');

  // Errors too, and the key does not leak into the next request's lines.
  const failing = httpHandler(async () => {
    throw problems.internal(new Error('boom'));
  }, { authenticated: false });
  const errorLines = await stdoutOf(async () => {
    result = await failing(event('api-req-2'), context);
  });
  expect([result!.statusCode, result!.headers?.[requestIdHeader]]).toEqual([500, 'api-req-2']);
  expect(errorLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.message === 'request failed')?.apiGatewayRequestId).toBe('api-req-2');
  const after = await stdoutOf(() => logger.warn('between requests'));
  expect(JSON.parse(after[0]!).apiGatewayRequestId).toBeUndefined();
});
