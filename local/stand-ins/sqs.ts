/**
 * A loopback stand-in for SQS SendMessage (AWS JSON 1.0 protocol), so a synthesized bundle that
 * enqueues polls can run unchanged against it through AWS_ENDPOINT_URL_SQS. It records what was
 * sent; nothing consumes the queue (the test delivers messages to the worker itself).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SentMessage {
  readonly queueUrl: string;
  readonly body: string;
  readonly delaySeconds: number;
}

export interface SqsStandIn {
  /** Value for AWS_ENDPOINT_URL_SQS. */
  readonly endpoint: string;
  readonly sent: readonly SentMessage[];
  close(): Promise<void>;
}

export async function startSqsStandIn(): Promise<SqsStandIn> {
  const sent: SentMessage[] = [];
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const target = String(req.headers['x-amz-target'] ?? '');
    res.setHeader('content-type', 'application/x-amz-json-1.0');
    if (target !== 'AmazonSQS.SendMessage') {
      res.writeHead(400).end(JSON.stringify({ __type: 'com.amazonaws.sqs#InvalidAction', message: `Stand-in only serves SendMessage, not ${target}` }));
      return;
    }
    const input = JSON.parse(raw) as { QueueUrl: string; MessageBody: string; DelaySeconds?: number };
    sent.push({ queueUrl: input.QueueUrl, body: input.MessageBody, delaySeconds: input.DelaySeconds ?? 0 });
    // The SDK checks this digest of the body it sent.
    const md5 = createHash('md5').update(input.MessageBody).digest('hex');
    res.writeHead(200).end(JSON.stringify({ MessageId: randomUUID(), MD5OfMessageBody: md5 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sent,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
