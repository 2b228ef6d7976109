/**
 * A loopback stand-in for SQS (AWS JSON 1.0 protocol): SendMessage, and for the webhook admin CLI
 * GetQueueUrl, ReceiveMessage and DeleteMessage, so synthesized bundles and the CLI run unchanged
 * against it through AWS_ENDPOINT_URL_SQS. It records what was sent; nothing consumes the queues
 * by itself (tests deliver messages to the workers). Delays and visibility are not modelled.
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
  /** The URL GetQueueUrl answers for a queue name. */
  queueUrl(name: string): string;
  /** Messages sent to a queue and not yet deleted. */
  waiting(queueUrl: string): readonly SentMessage[];
  /**
   * Removes and returns the messages of a queue whose delay has passed, as Lambda's event source
   * would receive and delete them (the bench plays that event source).
   */
  takeDue(queueUrl: string, now?: number): SentMessage[];
  close(): Promise<void>;
}

export async function startSqsStandIn(): Promise<SqsStandIn> {
  const sent: SentMessage[] = [];
  const waiting = new Map<string, SentMessage & { availableAt: number }>();
  let endpoint = '';
  const md5 = (text: string) => createHash('md5').update(text).digest('hex');
  const server = createServer(async (req, res) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const target = String(req.headers['x-amz-target'] ?? '');
    res.setHeader('content-type', 'application/x-amz-json-1.0');
    const input = JSON.parse(raw || '{}') as Record<string, any>;
    const answer = (body: object): void => void res.writeHead(200).end(JSON.stringify(body));
    switch (target) {
      case 'AmazonSQS.SendMessage': {
        const message = { queueUrl: input.QueueUrl as string, body: input.MessageBody as string, delaySeconds: (input.DelaySeconds as number | undefined) ?? 0 };
        sent.push(message);
        waiting.set(randomUUID(), { ...message, availableAt: Date.now() + message.delaySeconds * 1000 });
        // The SDK checks this digest of the body it sent.
        return answer({ MessageId: randomUUID(), MD5OfMessageBody: md5(message.body) });
      }
      case 'AmazonSQS.GetQueueUrl':
        return answer({ QueueUrl: `${endpoint}/000000000000/${input.QueueName as string}` });
      case 'AmazonSQS.ReceiveMessage': {
        const max = (input.MaxNumberOfMessages as number | undefined) ?? 1;
        const messages = [...waiting].filter(([, m]) => m.queueUrl === input.QueueUrl).slice(0, max);
        return answer({ Messages: messages.map(([handle, m]) => ({ MessageId: handle, ReceiptHandle: handle, Body: m.body, MD5OfBody: md5(m.body) })) });
      }
      case 'AmazonSQS.DeleteMessage':
        waiting.delete(input.ReceiptHandle as string);
        return answer({});
      default:
        res.writeHead(400).end(JSON.stringify({ __type: 'com.amazonaws.sqs#InvalidAction', message: `Stand-in does not serve ${target}` }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    sent,
    queueUrl: (name) => `${endpoint}/000000000000/${name}`,
    waiting: (queueUrl) => [...waiting.values()].filter((m) => m.queueUrl === queueUrl).map(({ availableAt: _at, ...m }) => m),
    takeDue: (queueUrl, now = Date.now()) => {
      const due = [...waiting].filter(([, m]) => m.queueUrl === queueUrl && m.availableAt <= now);
      for (const [handle] of due) waiting.delete(handle);
      return due.map(([, { availableAt: _at, ...m }]) => m);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
