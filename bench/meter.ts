/**
 * What a batch of transactions would be billed for on AWS, counted on the local relay: a counting
 * proxy in front of the DynamoDB stand-in (read and write request units from item sizes), counts
 * of API requests, authorizer calls, Lambda invocations with measured durations, SQS requests and
 * log bytes; and the list prices they are multiplied by.
 */
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * List prices, us-east-1, as published on the AWS pricing pages in 2025 (DynamoDB on-demand after
 * its November 2024 price cut). The relay's stages run in ap-southeast-2, where most of these are
 * 10-25% dearer; the comparison between the two POS patterns does not change.
 */
export const listPrices = {
  region: 'us-east-1',
  asOf: '2025 (AWS pricing pages)',
  apiGatewayRestPerMillion: 3.5,
  lambdaRequestsPerMillion: 0.2,
  /** arm64 (the relay's functions are arm64). */
  lambdaGbSecond: 0.0000133334,
  sqsRequestsPerMillion: 0.4,
  dynamoWriteUnitsPerMillion: 0.625,
  dynamoReadUnitsPerMillion: 0.125,
  cloudWatchLogsPerGb: 0.5,
} as const;

export interface Usage {
  apiRequests: number;
  authorizerInvocations: number;
  lambdaInvocations: number;
  /** Sum of invocations' billed GB-seconds (each duration rounded up to 1 ms, times memory). */
  lambdaGbSeconds: number;
  sqsRequests: number;
  dynamoWriteUnits: number;
  dynamoReadUnits: number;
  logBytes: number;
}

export const emptyUsage = (): Usage => ({
  apiRequests: 0,
  authorizerInvocations: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  sqsRequests: 0,
  dynamoWriteUnits: 0,
  dynamoReadUnits: 0,
  logBytes: 0,
});

export function costOf(usage: Usage): Record<string, number> {
  const p = listPrices;
  return {
    'API Gateway': (usage.apiRequests * p.apiGatewayRestPerMillion) / 1e6,
    'Lambda requests': ((usage.lambdaInvocations + usage.authorizerInvocations) * p.lambdaRequestsPerMillion) / 1e6,
    'Lambda GB-s': usage.lambdaGbSeconds * p.lambdaGbSecond,
    SQS: (usage.sqsRequests * p.sqsRequestsPerMillion) / 1e6,
    'DynamoDB writes': (usage.dynamoWriteUnits * p.dynamoWriteUnitsPerMillion) / 1e6,
    'DynamoDB reads': (usage.dynamoReadUnits * p.dynamoReadUnitsPerMillion) / 1e6,
    'CloudWatch Logs': (usage.logBytes / 1024 ** 3) * p.cloudWatchLogsPerGb,
  };
}

/** One invocation of `memoryMb` that ran `ms`: Lambda bills whole milliseconds. */
export const gbSeconds = (ms: number, memoryMb: number) => (Math.max(1, Math.ceil(ms)) / 1000) * (memoryMb / 1024);

const writeOps = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);
const readOps = new Set(['GetItem', 'Query']);

/** Serialized size of DynamoDB JSON: a close upper bound of DynamoDB's own item size. */
const itemBytes = (item: unknown) => (item ? Buffer.byteLength(JSON.stringify(item)) : 0);

/**
 * Forwards DynamoDB calls to `target()` and adds their request units to `usage()`:
 * writes 1 unit per started KB of the item written (UpdateItem: the item after the update, which
 * the store asks back), reads 1 unit per started 4 KB (a half for eventually consistent reads).
 */
export async function startDynamoMeter(target: () => string, usage: () => Usage): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    const upstream = new URL(target());
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      async (answer) => {
        let body = '';
        for await (const chunk of answer) body += chunk;
        res.writeHead(answer.statusCode ?? 500, answer.headers).end(body);
        if ((answer.statusCode ?? 500) >= 400 && !body.includes('ConditionalCheckFailed')) return;
        const input = JSON.parse(raw || '{}') as Record<string, any>;
        const output = JSON.parse(body || '{}') as Record<string, any>;
        const u = usage();
        if (writeOps.has(op)) {
          const size = op === 'PutItem' ? itemBytes(input.Item) : op === 'UpdateItem' ? itemBytes(output.Attributes) || 1024 : 1024;
          u.dynamoWriteUnits += Math.max(1, Math.ceil(size / 1024));
        } else if (readOps.has(op)) {
          const size = op === 'GetItem' ? itemBytes(output.Item) : ((output.Items as unknown[] | undefined) ?? []).reduce<number>((n, item) => n + itemBytes(item), 0);
          u.dynamoReadUnits += Math.max(1, Math.ceil(size / 4096)) * (input.ConsistentRead ? 1 : 0.5);
        }
      },
    );
    forward.on('error', () => res.writeHead(502).end());
    forward.end(raw);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** Counts bytes the process writes to stdout (the functions' JSON log lines) into `usage()`. */
export function meterLogs(usage: () => Usage): () => void {
  const original = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    usage().logBytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    return true;
  }) as typeof process.stdout.write;
  void original;
  return () => {
    process.stdout.write = original as typeof process.stdout.write;
  };
}
