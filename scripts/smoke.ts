/**
 * `npm run smoke -- --url <base url> --key <api key>`: checks a running relay end to end without
 * moving money, the same way the pipeline checks dev and prod after each deploy:
 *   1. GET /health answers ok;
 *   2. a request without a key gets the uniform 401;
 *   3. a pairing with a code no terminal shows reaches SmartConnect and comes back with SmartConnect's
 *      own refusal: gateway → authorizer → Lambda → SSM → SmartConnect, and nothing paired.
 * Against `npm start` (or with `--simulator <origin>`) it then runs the money path on the simulator:
 * pair, a $12.50 purchase, and its outcome. It prints each step and exits non-zero on the first failure.
 * The key is never printed. The authenticated calls go through the typed client (client/src), as a POS
 * would make them; health and the keyless 401 are plain fetches (the client always sends its key).
 */
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { parseArgs } from 'node:util';
import { isFinal, RelayClient, RelayProblemError } from '../client/src/index.ts';

/** Where `npm start` notes its URL and simulator, so the smoke test finds the simulator by itself. */
export const localStartFile = new URL('../.local/npm-start.json', import.meta.url);
const simulatorCa = new URL('../local/certs/ca.pem', import.meta.url);

/** A code no terminal shows: SmartConnect answers it with its own refusal. */
export const unknownPairingCode = '0000000000000000';
const requestTimeoutMs = 15_000;

export interface SmokeOptions {
  readonly url: string;
  readonly key: string;
  /** posVendorName to use; by default the first one the key's tenant allows (learned from a 403). */
  readonly vendor?: string;
  /** Origin of the SmartConnect simulator (local runs only): enables the money path. */
  readonly simulator?: string;
  readonly print?: (line: string) => void;
  /** How long to wait for the purchase's outcome. */
  readonly outcomeTimeoutMs?: number;
}

class StepFailed extends Error {}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Record<string, any> | undefined;
  readonly text: string;
}

/** Runs every step; resolves true when all passed. Never throws for a failed step: it reports it. */
export async function smoke(options: SmokeOptions): Promise<boolean> {
  const print = options.print ?? ((line: string) => console.log(line));
  const base = options.url.replace(/\/+$/, '');
  // No retries: the smoke test reports the first failure as it happened.
  const client = new RelayClient({ baseUrl: base, apiKey: options.key, requestTimeoutMs, retries: 0 });
  let vendor = options.vendor;

  const call = async (method: string, path: string, init: { headers?: Record<string, string>; body?: unknown } = {}): Promise<Answer> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        // The relay never redirects; a redirect here means something else answers this URL.
        redirect: 'manual',
        headers: { accept: 'application/json', ...(init.body === undefined ? {} : { 'content-type': 'application/json' }), ...init.headers },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(requestTimeoutMs),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new StepFailed(`${method} ${base}${path} got no answer: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const text = await response.text();
    let body: Record<string, any> | undefined;
    try {
      body = JSON.parse(text) as Record<string, any>;
    } catch {
      body = undefined;
    }
    return { status: response.status, headers: response.headers, body, text };
  };
  const expectAnswer = (answer: Answer, status: number, code?: string) => {
    if (answer.status !== status || (code !== undefined && answer.body?.code !== code)) {
      const got = answer.body?.code ? `${answer.status} ${answer.body.code}: ${answer.body.detail ?? answer.body.title ?? ''}` : `${answer.status} ${answer.text.slice(0, 200)}`;
      throw new StepFailed(`expected ${status}${code ? ` ${code}` : ''}, got ${got}`);
    }
  };
  const noAnswer = (what: string, error: unknown) => {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new StepFailed(`${what} got no answer: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  };
  const problemText = (problem: RelayProblemError) => `${problem.status} ${problem.code}: ${String(problem.problem.detail ?? problem.problem.title ?? '')}`;
  /** A client call that must succeed: a problem or no answer fails the step, saying which. */
  const expectSuccess = async <T>(what: string, expected: number, run: () => Promise<T>): Promise<T> => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof RelayProblemError) throw new StepFailed(`expected ${expected}, got ${problemText(error)}`);
      throw noAnswer(what, error);
    }
  };
  /** A client call that must answer a problem: returns it. */
  const expectProblem = async (what: string, status: number, code: string, run: () => Promise<unknown>): Promise<RelayProblemError> => {
    try {
      await run();
    } catch (error) {
      if (!(error instanceof RelayProblemError)) throw noAnswer(what, error);
      if (error.status === 401) throw new StepFailed('401: the key was refused (wrong, revoked, or for another stage)');
      if (error.status !== status || error.code !== code) throw new StepFailed(`expected ${status} ${code}, got ${problemText(error)}`);
      return error;
    }
    throw new StepFailed(`expected ${status} ${code}, got a success`);
  };
  const register = (registerId: string) => ({
    posRegisterId: registerId,
    posRegisterName: 'Relay smoke test',
    posBusinessName: 'Relay smoke test',
    posVendorName: vendor!,
  });

  const steps: [string, () => Promise<string>][] = [
    [
      'health',
      async () => {
        const answer = await call('GET', '/health');
        expectAnswer(answer, 200);
        if (answer.body?.status !== 'ok') throw new StepFailed(`expected {"status":"ok"}, got ${answer.text.slice(0, 200)}`);
        return `ok, stage ${answer.body.stage}`;
      },
    ],
    [
      'no key → 401',
      async () => {
        const answer = await call('GET', `/transactions/${randomUUID()}`);
        expectAnswer(answer, 401, 'unauthorized');
        if (!/^Bearer/i.test(answer.headers.get('www-authenticate') ?? '')) throw new StepFailed('401 without WWW-Authenticate: Bearer');
        return '401 unauthorized, WWW-Authenticate: Bearer';
      },
    ],
    [
      'pairing with an unknown code → SmartConnect refuses',
      async () => {
        vendor ??= await allowedVendor(client);
        const refusal = await expectProblem(`PUT ${base}/pairing/…`, 400, 'smartconnect-rejected', () => client.pair(unknownPairingCode, register('relay-smoke')));
        return `SmartConnect answered: ${String(refusal.problem.detail)}`;
      },
    ],
  ];

  const simulator = options.simulator ?? localSimulatorFor(base);
  if (simulator) {
    const registerId = `relay-smoke-${randomUUID().slice(0, 8)}`;
    let transactionId = '';
    steps.push(
      [
        'pair a register with the simulated terminal',
        async () => {
          const { pairingCode } = (await issuePairingCode(simulator)) as { pairingCode: string };
          await expectSuccess(`PUT ${base}/pairing/…`, 200, () => client.pair(pairingCode, register(registerId)));
          return `paired ${registerId}`;
        },
      ],
      [
        'start a $12.50 purchase',
        async () => {
          const { posRegisterName: _name, ...triple } = register(registerId);
          const created = await expectSuccess(`POST ${base}/transactions`, 202, () => client.createTransaction({ transactionType: 'Card.Purchase', ...triple, amountTotal: 1250 }));
          if (created.replayed) throw new StepFailed('expected 202, got a replay of an earlier transaction');
          transactionId = created.transaction.id;
          return `202 ${created.transaction.status}, id ${transactionId}`;
        },
      ],
      [
        'outcome',
        async () => {
          const timeoutMs = options.outcomeTimeoutMs ?? 30_000;
          const transaction = await expectSuccess(`GET ${base}/transactions/…`, 200, () => client.waitForOutcome(transactionId, { intervalMs: 500, timeoutMs }));
          if (!isFinal(transaction)) throw new StepFailed(`still ${transaction.status} after ${timeoutMs / 1000} s`);
          if (transaction.outcome !== 'APPROVED') throw new StepFailed(`expected APPROVED, got ${transaction.status} ${transaction.outcome}`);
          return `COMPLETED APPROVED, amountTotal ${transaction.result?.amountTotal}`;
        },
      ],
    );
  }

  print(`Smoke test of ${base}${simulator ? ' (with the simulator: money path too)' : ''}`);
  for (const [name, run] of steps) {
    try {
      print(`✓ ${name}: ${await run()}`);
    } catch (error) {
      print(`✗ ${name}: ${error instanceof StepFailed ? error.message : String(error)}`);
      return false;
    }
  }
  print('All smoke steps passed.');
  return true;
}

/** The key's first allowed posVendorName: a pairing with a name it does not allow is refused (403) before anything is sent. */
async function allowedVendor(client: RelayClient): Promise<string> {
  const probe = { posRegisterId: 'relay-smoke', posRegisterName: 'Relay smoke test', posBusinessName: 'Relay smoke test', posVendorName: 'relay-smoke-probe' };
  let got: string;
  try {
    const paired = await client.pair(unknownPairingCode, probe);
    got = `200 ${paired.status}`;
  } catch (error) {
    if (!(error instanceof RelayProblemError)) {
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new StepFailed(`PUT /pairing/… got no answer: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
    }
    const allowed = error.problem.allowedPosVendorNames as unknown;
    if (error.status === 403 && Array.isArray(allowed) && typeof allowed[0] === 'string') return allowed[0];
    if (error.status === 401) throw new StepFailed('401: the key was refused (wrong, revoked, or for another stage)');
    got = `${error.status} ${error.code}`;
  }
  throw new StepFailed(`could not learn the key's vendor name (pass --vendor): got ${got}`);
}

/** The simulator of the `npm start` serving `base`, if that is what answers there. */
function localSimulatorFor(base: string): string | undefined {
  if (!existsSync(localStartFile)) return undefined;
  try {
    const noted = JSON.parse(readFileSync(localStartFile, 'utf8')) as { url?: string; simulatorOrigin?: string };
    const sameHost = (u: string) => new URL(u).port + new URL(u).pathname.replace(/\/+$/, '');
    const loopback = (u: string) => ['localhost', '127.0.0.1', '[::1]'].includes(new URL(u).hostname);
    return noted.url && noted.simulatorOrigin && loopback(base) && sameHost(noted.url) === sameHost(base) ? noted.simulatorOrigin : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the simulated terminal for a pairing code (its HTTPS certificate comes from the local test CA). */
function issuePairingCode(origin: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(`${origin}/_device/pairing-codes`, { method: 'POST', ca: readFileSync(simulatorCa), timeout: requestTimeoutMs }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk));
      res.on('end', () => {
        if (res.statusCode !== 200 && res.statusCode !== 201) return reject(new StepFailed(`the simulator answered ${res.statusCode}: ${text.slice(0, 200)}`));
        try {
          resolve(JSON.parse(text));
        } catch {
          reject(new StepFailed('the simulator answered without JSON'));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (error) => reject(new StepFailed(`the simulator at ${origin} got no answer: ${error.message}`)));
    req.end();
  });
}

const usage = 'Usage: npm run smoke -- --url <relay base url> --key <api key> [--vendor <posVendorName>] [--simulator <origin>]';

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { url: { type: 'string' }, key: { type: 'string' }, vendor: { type: 'string' }, simulator: { type: 'string' } },
  });
  if (!values.url || !values.key) {
    console.error(usage);
    process.exit(2);
  }
  process.exit((await smoke({ url: values.url, key: values.key, vendor: values.vendor, simulator: values.simulator })) ? 0 : 1);
}
