/**
 * A loopback stand-in for SSM Parameter Store's GetParameter (AWS JSON 1.1 protocol), so the real
 * @aws-sdk/client-ssm runs unchanged in tests and local runs through AWS_ENDPOINT_URL_SSM.
 * It can also misbehave on demand (outage, hang) to exercise the relay's cache fallback.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type SsmFault = 'outage' | 'hang';

export interface SsmStandIn {
  /** Value for AWS_ENDPOINT_URL_SSM. */
  readonly endpoint: string;
  /** How many GetParameter calls arrived (faulted ones included). */
  readonly calls: number;
  set(name: string, value: string): void;
  delete(name: string): void;
  /** Until cleared with `undefined`, every call fails this way. */
  fault(kind: SsmFault | undefined): void;
  close(): Promise<void>;
}

export async function startSsmStandIn(initial: Record<string, string> = {}): Promise<SsmStandIn> {
  const parameters = new Map(Object.entries(initial));
  let calls = 0;
  let fault: SsmFault | undefined;

  const reply = (res: ServerResponse, status: number, body: unknown, errorType?: string) => {
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(JSON.stringify(body));
  };

  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    const target = String(req.headers['x-amz-target'] ?? '');
    if (target !== 'AmazonSSM.GetParameter') {
      return reply(res, 400, { __type: 'UnknownOperationException', message: `Stand-in only serves GetParameter, not ${target}` }, 'UnknownOperationException');
    }
    calls += 1;
    if (fault === 'hang') return; // never answers; close() ends the connection
    if (fault === 'outage') return reply(res, 500, { __type: 'InternalServerError', message: 'stand-in outage' }, 'InternalServerError');
    const name = String((JSON.parse(raw || '{}') as { Name?: unknown }).Name ?? '');
    const value = parameters.get(name);
    if (value === undefined) return reply(res, 400, { __type: 'ParameterNotFound', message: `Parameter ${name} not found.` }, 'ParameterNotFound');
    return reply(res, 200, {
      Parameter: { Name: name, Type: 'String', Value: value, Version: 1, DataType: 'text', LastModifiedDate: Date.now() / 1000 },
    });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    get calls() {
      return calls;
    },
    set: (name, value) => void parameters.set(name, value),
    delete: (name) => void parameters.delete(name),
    fault: (kind) => {
      fault = kind;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
