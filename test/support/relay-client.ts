/** Small helpers for calling a local relay over loopback HTTP from tests. */
export interface RelayAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, unknown>;
  readonly elapsedMs: number;
}

export async function call(url: string, init: RequestInit = {}): Promise<RelayAnswer> {
  const started = performance.now();
  const response = await fetch(url, init);
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: JSON.parse(text) as Record<string, unknown>, elapsedMs: performance.now() - started };
}

export const validPairing = {
  posRegisterId: '7444ae07-dc63-e49c-33e3-59a7c108cc80',
  posRegisterName: 'Main Register',
  posBusinessName: 'Toys Shop',
  posVendorName: 'Till2Go',
} as const;

/** A local relay and the API key its tests call it with. */
export interface RelayTarget {
  readonly url: string;
  readonly apiKey: string;
}

export const authorization = (relay: Pick<RelayTarget, 'apiKey'>) => ({ authorization: `Bearer ${relay.apiKey}` });

export function pairRequest(relay: RelayTarget, code: string, body: unknown = validPairing, headers: Record<string, string> = {}) {
  return call(`${relay.url}/pairing/${code}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...authorization(relay), ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Every relay error is an RFC 9457 problem with a stable code. */
export function expectProblem(answer: RelayAnswer, status: number, code: string): void {
  if (answer.status !== status || answer.body.code !== code) {
    throw new Error(`expected ${status} ${code}, got ${answer.status} ${JSON.stringify(answer.body)}`);
  }
  if (answer.headers.get('content-type') !== 'application/problem+json') {
    throw new Error(`expected application/problem+json, got ${answer.headers.get('content-type')}`);
  }
  for (const member of ['type', 'title', 'detail'] as const) {
    if (typeof answer.body[member] !== 'string' || !answer.body[member]) throw new Error(`problem lacks ${member}`);
  }
}

/** A loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import('node:net');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
