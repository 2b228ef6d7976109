/**
 * `npm start`: the relay on http://localhost:3000 (PORT overrides), same routes and handler code
 * as the deployed API, against the built-in SmartConnect simulator — or against the SmartConnect
 * in SMARTCONNECT_ENVIRONMENT (HTTPS; NODE_EXTRA_CA_CERTS is trusted as usual).
 *
 * State (relay tables, simulator pairings and transactions, the generated key) is kept in
 * .local/state/ (RELAY_STATE_DIR moves it; `--fresh` or RELAY_FRESH=1 wipes it first), so a killed
 * and restarted run keeps every transaction and resumes polling the open ones.
 */
import { randomUUID } from 'node:crypto';
import { checkEnvironment } from '#smartconnect/environment-guard.ts';
import { createFileTenantStore, createMemoryTenantStore, type TenantStore } from '#tenants/tenant-store.ts';
import { defaultLocalTenantsFile } from '../scripts/tenant-cli.ts';
import { startLocalRelay, type LocalRelay } from './local-relay.ts';
import { mkdirSync, writeFileSync } from 'node:fs';
import { localStartFile } from '../scripts/smoke.ts';
import { generateApiKey } from '#tenants/api-keys.ts';
import { readRelayState, statePaths, wipeState, writeRelayState, type RelayState } from './state-dir.ts';

/** Start-up mistakes end here: one line, no stack, exit 1. */
function refuse(reason: string): never {
  console.error(`Refusing to start: ${reason}`);
  process.exit(1);
}

function portFrom(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d{1,5}$/.test(raw) || Number(raw) > 65_535) refuse(`${name}=${raw} is not a port number (0–65535).`);
  return Number(raw);
}

const args = process.argv.slice(2);
for (const arg of args) if (arg !== '--fresh') refuse(`unknown argument ${arg} (the only one is --fresh: start from a clean local state).`);
const fresh = args.includes('--fresh') || process.env.RELAY_FRESH === '1';

const port = portFrom('PORT', 3000);
const external = process.env.SMARTCONNECT_ENVIRONMENT;

if (external) {
  // The local relay runs as the dev stage: refuse production here, before anything is sent.
  const check = checkEnvironment('dev', external);
  if (!check.ok) refuse(check.reason);
}

// The console shows one line per request (developer-console.ts); RELAY_DEBUG=1 adds the
// functions' own structured logs, stacks included.
if (process.env.RELAY_DEBUG === '1') process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
else process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// As on the stages: browser POS front-ends on these origins may call the relay.
const corsAllowedOrigins = (process.env.CORS_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);

const paths = statePaths();
let saved: RelayState;
try {
  if (fresh) wipeState(paths);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  saved = readRelayState(paths);
} catch (error) {
  refuse(`the local state in ${paths.dir} cannot be used: ${(error as Error).message}`);
}
const simulatorPort = portFrom('SIMULATOR_PORT', saved.simulatorPort ?? 0);
// The key printed last run keeps working: a POS configured with it needs no change after a restart.
const generatedKey = saved.apiKey ?? generateApiKey().apiKey;

// This run's key lives in memory; tenants made with `npm run tenant -- create --local` live in
// .local/tenants.json (hashes only) and work too, revocations included, without a restart.
const memory = createMemoryTenantStore();
const file = createFileTenantStore(defaultLocalTenantsFile);
const tenantStore: TenantStore = { ...memory, findActiveKey: async (keyId) => (await memory.findActiveKey(keyId)) ?? (await file.findActiveKey(keyId)) };
const vendor = process.env.RELAY_VENDOR_NAME ?? 'LocalPOS';
// This run serves `vendor` from memory: hold it in the file too, so `tenant create --local` cannot
// hand the same name (and with it this run's registers) to another tenant.
try {
  await file.holdVendorNames('local', [vendor]);
} catch (error) {
  console.error(`Refusing to start: ${(error as Error).message} Set RELAY_VENDOR_NAME to a name of its own.`);
  process.exit(1);
}

let relay: LocalRelay;
try {
  relay = await startLocalRelay({
    port,
    tenantStore,
    posVendorNames: [vendor],
    apiKey: process.env.RELAY_API_KEY || generatedKey,
    smartConnectEnvironment: external,
    // Generous for people typing by hand; the tests use SmartConnect's ~2 minutes.
    simulator: { port: simulatorPort, pairingCodeTtlMs: 15 * 60_000, stateFile: paths.simulator },
    dynamoPath: paths.dynamo,
    corsAllowedOrigins,
    developerConsole: { log: (line) => console.log(line) },
  });
} catch (error) {
  refuse(startFailure(error));
}
try {
  const keptPort = relay.simulator ? Number(new URL(relay.simulator.origin).port) : saved.simulatorPort;
  writeRelayState(paths, { version: 1, apiKey: generatedKey, ...(keptPort ? { simulatorPort: keptPort } : {}) });
} catch (error) {
  await relay.close();
  refuse(`cannot write ${paths.relay}: ${(error as Error).message}`);
}
// Imported only now: the transactions runtime reads the configuration startLocalRelay set at import.
const resumed = await (await import('#transactions/transactions-runtime.ts')).resumeActivePolls();

function startFailure(error: unknown): string {
  const { code, message, port: busy, address } = error as NodeJS.ErrnoException & { port?: number; address?: string };
  if (code === 'EADDRINUSE') {
    return busy === port
      ? `port ${busy} is in use (another npm start?). Stop it or choose another with PORT=…`
      : `the simulator's port ${busy} (kept in ${paths.relay} so stored polling URLs keep working) is in use. Stop what uses it, set SIMULATOR_PORT=…, or start with --fresh.`;
  }
  if (code === 'EACCES') return `no permission to listen on ${address ?? '127.0.0.1'}:${busy ?? port}; choose a port above 1023.`;
  return message || String(error);
}

const base = relay.url.replace('127.0.0.1', 'localhost');
const lines = [
  '',
  `SmartConnect relay (dev stage) listening on ${base}`,
  `SmartConnect environment: ${external ?? `${relay.simulator!.baseUrl} (built-in simulator)`}`,
  ...(relay.simulator ? [`Virtual terminal: ${base}/_device  (pairing codes, registers, transactions; 62-cent amounts wait for you)`] : []),
  `API reference: ${base}/docs  (OpenAPI: ${base}/openapi.json)`,
  ...(corsAllowedOrigins.length ? [`CORS allowed origins: ${corsAllowedOrigins.join(', ')}`] : []),
  '',
  `API key (tenant allowed posVendorName "${vendor}"): ${relay.apiKey}`,
  process.env.RELAY_API_KEY ? '  (from RELAY_API_KEY)' : `  (kept in ${paths.relay} across restarts; --fresh makes a new one)`,
  `Local state: ${paths.dir}${fresh ? ' (started fresh)' : ''}${resumed > 0 ? `; resumed polling ${resumed} open transaction(s)` : ''}`,
  '',
  `  export RELAY_API_KEY=${relay.apiKey}`,
];
if (relay.simulator) {
  const code = relay.simulator.issuePairingCode();
  const register = `"posRegisterId":"till-1","posBusinessName":"Toys Shop","posVendorName":"${vendor}"`;
  const auth = `-H "Authorization: Bearer $RELAY_API_KEY"`;
  lines.push(
    '',
    `1. The simulated terminal shows pairing code ${code} (valid 15 minutes, single use). Pair a register:`,
    '',
    `  curl -sS -X PUT ${base}/pairing/${code} ${auth} \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '{${register},"posRegisterName":"Main Register"}'`,
    '',
    '2. Start a $12.50 purchase. Run it twice: the same Idempotency-Key gives back the same transaction,',
    '   and the terminal is asked once. (Amounts whose cents are 51–61 script other outcomes, and 62 waits',
    '   for Approve/Decline on the virtual terminal page: see the README.)',
    '',
    `  curl -sS -X POST ${base}/transactions ${auth} \\`,
    `    -H 'Content-Type: application/json' -H 'Idempotency-Key: ${randomUUID()}' \\`,
    `    -d '{"transactionType":"Card.Purchase",${register},"amountTotal":1250}'`,
    '',
    '3. Follow it with the id from the answer (the simulated terminal answers after about 3 s):',
    '',
    `  curl -sS ${base}/transactions/<id> ${auth}`,
    '',
    'A new pairing code: the button on the virtual terminal page, or',
    '',
    `  curl -sS -X POST ${base}/_device/pairing-codes`,
  );
}
if (relay.simulator) {
  // So `npm run smoke` finds this run's simulator by itself (URLs only, no key).
  mkdirSync(new URL('.', localStartFile), { recursive: true });
  writeFileSync(localStartFile, JSON.stringify({ url: base, simulatorOrigin: relay.simulator.origin }));
  lines.push('', 'Check it end to end (health, 401, a refused pairing, then pair, purchase and outcome on the simulator):', '', `  npm run smoke -- --url ${base} --key $RELAY_API_KEY`);
}
lines.push('', 'One line per request below (RELAY_DEBUG=1 for the full logs). Press Ctrl+C to stop.', '');
console.log(lines.join('\n'));

let stopping = false;
const stop = async () => {
  // A second Ctrl+C does not wait for the polls under way.
  if (stopping) process.exit(130);
  stopping = true;
  console.log('\nStopping: letting polls under way finish (Ctrl+C again to quit at once)…');
  await relay.close();
  await file.releaseVendorNames('local', [vendor]).catch(() => undefined);
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
