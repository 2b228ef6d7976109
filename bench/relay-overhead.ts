/**
 * `npm run bench`: the relay's performance targets, measured side by side in one run.
 *
 * 1. Warm request: a relayed pairing (the Lambda handler invoked in-process, as a warm container
 *    runs it) against a direct HTTPS pairing request to the same simulator, made with the same
 *    HTTP client (got, one keep-alive instance), so the ratio is what the relay itself adds.
 *    Target ≤ 1.2×. A bare node:https request is shown too: got's own per-request cost (≈0.2 ms
 *    on loopback) is the rest of the difference.
 * 2. Cold start: module init of the relay bundle against a bare bundle of the same SDK clients,
 *    each in fresh processes, with the AWS SDK external and bundled. Target ≤ 1.5×.
 * 3. SSM: calls made by a warm container within one cache period. Target ≤ 1.
 *
 * Loopback only; bounded iterations; prints a table and exits non-zero if a target is missed.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import got from 'got';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { startSimulator } from '../local/simulator/index.ts';
import { startSsmStandIn } from '../local/stand-ins/ssm.ts';
import { trustSimulatorCa } from '../local/local-relay.ts';
import { RuntimeEnv } from '#runtime/runtime-config.ts';

const warmIterations = Number(process.env.BENCH_ITERATIONS ?? 1500);
// BENCH_COLD_RUNS=0 skips the cold-start part (quick warm-path iterations).
const coldRuns = Number(process.env.BENCH_COLD_RUNS ?? 31);
const repo = new URL('..', import.meta.url).pathname;

/** Progress on stderr (the report stays alone on stdout): a line every 10 %, rewritten in place on a terminal. */
function progress(label: string, done: number, total: number): void {
  const step = Math.max(1, Math.floor(total / 10));
  if (done !== total && done % step !== 0) return;
  const line = `${label}: ${done}/${total} (${Math.round((done / total) * 100)} %)`;
  if (process.stderr.isTTY) process.stderr.write(`\r${line}${done === total ? '\n' : ''}`);
  else process.stderr.write(`${line}\n`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * p)]!;

// ---- 1 and 3: warm relayed request vs direct HTTPS, SSM calls per cache period --------------
trustSimulatorCa();
const sim = await startSimulator({ pairingCodeTtlMs: 60 * 60_000 });
const ssm = await startSsmStandIn({ '/smartconnect/dev/environment': sim.baseUrl });
Object.assign(process.env, {
  [RuntimeEnv.stage]: 'dev',
  [RuntimeEnv.environmentParameter]: '/smartconnect/dev/environment',
  AWS_ENDPOINT_URL_SSM: ssm.endpoint,
  AWS_REGION: 'local',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
});
const { handler } = (await import('../functions/pair-register/handler.ts')) as {
  handler: (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;
};

const pairing = { posRegisterId: 'bench-register', posRegisterName: 'Bench', posBusinessName: 'Bench Shop', posVendorName: 'BenchPOS' };
const form = new URLSearchParams({ POSRegisterID: pairing.posRegisterId, POSRegisterName: pairing.posRegisterName, POSBusinessName: pairing.posBusinessName, POSVendorName: pairing.posVendorName }).toString();
const simUrl = new URL(sim.baseUrl);
const directAgent = new Agent({ keepAlive: true });
const directGot = got.extend({
  agent: { https: new Agent({ keepAlive: true }) },
  headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', accept: 'application/json' },
  followRedirect: false, throwHttpErrors: false, responseType: 'text', retry: { limit: 0 },
});
const directViaGot = async (code: string) => {
  const response = await directGot(`${sim.baseUrl}/Pairing/${code}`, { method: 'PUT', body: form });
  JSON.parse(response.body);
  return response.statusCode;
};

function directViaNodeHttps(code: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: simUrl.hostname, port: simUrl.port, path: `${simUrl.pathname}/Pairing/${code}`, method: 'PUT', agent: directAgent,
        headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8', accept: 'application/json', 'content-length': Buffer.byteLength(form) } },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => (JSON.parse(body), resolve(res.statusCode ?? 0)));
      },
    );
    req.on('error', reject);
    req.end(form);
  });
}

const context = { awsRequestId: 'bench', functionName: 'bench', getRemainingTimeInMillis: () => 10_000 } as Context;
const relayed = async (code: string) =>
  (
    await handler(
      { httpMethod: 'PUT', resource: '/pairing/{pairingCode}', path: `/pairing/${code}`, headers: { 'Content-Type': 'application/json' },
        pathParameters: { pairingCode: code }, body: JSON.stringify(pairing), isBase64Encoded: false,
        requestContext: { authorizer: { principalId: 'bench', tenantId: 'bench', keyId: 'benchbench12', posVendorNames: '["BenchPOS"]' } } } as unknown as APIGatewayProxyEvent,
      context,
    )
  ).statusCode;

async function timed(fn: () => Promise<number>): Promise<number> {
  const started = process.hrtime.bigint();
  const status = await fn();
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (status !== 200) throw new Error(`benchmark request failed with ${status}`);
  return elapsed;
}

const directTimes: number[] = [];
const nodeHttpsTimes: number[] = [];
const relayTimes: number[] = [];
for (let i = 0; i < warmIterations + 200; i += 1) {
  // Interleaved so all three see the same machine noise; the first 200 warm up JIT and sockets.
  const d = await timed(() => directViaGot(sim.issuePairingCode()));
  const n = await timed(() => directViaNodeHttps(sim.issuePairingCode()));
  const r = await timed(() => relayed(sim.issuePairingCode()));
  if (i >= 200) directTimes.push(d), nodeHttpsTimes.push(n), relayTimes.push(r);
  progress('warm requests (direct, node:https, relayed)', i + 1, warmIterations + 200);
}
const warmRatio = median(relayTimes) / median(directTimes);
const ssmCalls = ssm.calls;
directAgent.destroy();
await sim.close();
await ssm.close();

// ---- 2: cold-start module init ---------------------------------------------------------------
// Each function's bundle against a bare bundle of exactly the SDK clients it builds, bundled the
// same way. Pairing is also measured with the SDK left external, the alternative to bundling it.
const work = mkdtempSync(join(tmpdir(), 'relay-bench-'));
const bareEntries = {
  ssm: "import { SSMClient } from '@aws-sdk/client-ssm';\nexport const ssm = new SSMClient({});\n",
  'ssm-dynamodb-sqs':
    "import { SSMClient } from '@aws-sdk/client-ssm';\nimport { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nimport { SQSClient } from '@aws-sdk/client-sqs';\n" +
    'export const clients = [new SSMClient({}), DynamoDBDocumentClient.from(new DynamoDBClient({})), new SQSClient({})];\n',
  dynamodb:
    "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';\nimport { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';\nexport const db = DynamoDBDocumentClient.from(new DynamoDBClient({}));\n",
} as const;
for (const [name, source] of Object.entries(bareEntries)) writeFileSync(join(work, `bare-${name}.ts`), source);

// Mirrors RelayFunction's bundling (infra/relay-function.ts).
async function bundle(entry: string, name: string, sdk: 'external' | 'bundled'): Promise<string> {
  const outfile = join(work, `${name}-${sdk}.mjs`);
  await build({
    entryPoints: [entry], outfile, bundle: true, platform: 'node', format: 'esm', target: 'node24', minify: true,
    mainFields: ['module', 'main'], nodePaths: [join(repo, 'node_modules')], absWorkingDir: repo, logLevel: 'error',
    external: sdk === 'external' ? ['@aws-sdk/*'] : [],
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
  });
  // An external SDK must resolve from the repo's node_modules, as the runtime's copy would.
  const placed = join(repo, 'node_modules', '.bench', `${name}-${sdk}.mjs`);
  execFileSync('mkdir', ['-p', join(repo, 'node_modules', '.bench')]);
  execFileSync('cp', [outfile, placed]);
  return placed;
}

function initTime(file: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(file)}); process.stdout.write(String(performance.now() - t));`;
  const env = { PATH: process.env.PATH, AWS_REGION: 'ap-southeast-2', [RuntimeEnv.stage]: 'dev', POWERTOOLS_LOG_LEVEL: 'SILENT' };
  return Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { env, encoding: 'utf8' }));
}

const coldCases = [
  { label: 'pair-register, SDK bundled', handler: 'pair-register', bare: 'ssm', sdk: 'bundled' },
  { label: 'pair-register, SDK external', handler: 'pair-register', bare: 'ssm', sdk: 'external' },
  { label: 'create-transaction, SDK bundled', handler: 'create-transaction', bare: 'ssm-dynamodb-sqs', sdk: 'bundled' },
  { label: 'authorize, SDK bundled', handler: 'authorize', bare: 'dynamodb', sdk: 'bundled' },
] as const;
if (coldRuns > 0) process.stderr.write(`bundling ${coldCases.length} functions and their bare SDK baselines…\n`);
const coldFiles = await Promise.all(
  coldCases.filter(() => coldRuns > 0).map(async (c) => ({
    ...c,
    relayFile: await bundle(join(repo, `functions/${c.handler}/handler.ts`), c.handler, c.sdk),
    bareFile: await bundle(join(work, `bare-${c.bare}.ts`), `bare-${c.bare}`, c.sdk),
  })),
);
const coldTimes = coldFiles.map(() => ({ relay: [] as number[], bare: [] as number[] }));
// Interleaved, so every case sees the same machine noise over the run.
for (let i = 0; i < coldRuns; i += 1) {
  coldFiles.forEach((c, k) => {
    coldTimes[k]!.relay.push(initTime(c.relayFile));
    coldTimes[k]!.bare.push(initTime(c.bareFile));
  });
  progress(`cold starts (${coldFiles.length * 2} fresh processes per run)`, i + 1, coldRuns);
}
const cold = coldFiles.map((c, k) => ({ label: c.label, relay: median(coldTimes[k]!.relay), bare: median(coldTimes[k]!.bare) }));
rmSync(work, { recursive: true, force: true });
rmSync(join(repo, 'node_modules', '.bench'), { recursive: true, force: true });

// ---- report ----------------------------------------------------------------------------------
const ms = (x: number) => `${x.toFixed(3)} ms`;
const rows: [string, string, string, boolean][] = [
  ['warm: direct HTTPS, got (median / p90)', `${ms(median(directTimes))} / ${ms(percentile(directTimes, 0.9))}`, '', true],
  ['warm: direct HTTPS, node:https (median / p90)', `${ms(median(nodeHttpsTimes))} / ${ms(percentile(nodeHttpsTimes, 0.9))}`, '', true],
  ['warm: relayed (median / p90)', `${ms(median(relayTimes))} / ${ms(percentile(relayTimes, 0.9))}`, '', true],
  ['warm: relayed ÷ direct (same client)', warmRatio.toFixed(2), '≤ 1.20', warmRatio <= 1.2],
  ['warm: relayed ÷ direct (node:https)', (median(relayTimes) / median(nodeHttpsTimes)).toFixed(2), '', true],
];
for (const { label, relay, bare } of cold) {
  rows.push([`cold init, ${label}: relay / bare SDK`, `${ms(relay)} / ${ms(bare)}`, '', true]);
  rows.push([`cold init, ${label}: ratio`, (relay / bare).toFixed(2), '≤ 1.50', relay / bare <= 1.5]);
}
rows.push([`SSM calls in ${warmIterations + 200} warm relayed requests`, String(ssmCalls), '≤ 1', ssmCalls <= 1]);

console.log(`\nRelay benchmark (${warmIterations} warm pairs, ${coldRuns} cold runs per bundle, Node ${process.version})\n`);
for (const [name, value, target, ok] of rows) console.log(`${name.padEnd(56)} ${value.padEnd(26)} ${target.padEnd(8)} ${target ? (ok ? 'ok' : 'MISSED') : ''}`);
const missed = rows.some(([, , target, ok]) => target && !ok);
process.exitCode = missed ? 1 : 0;
