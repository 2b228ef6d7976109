/**
 * `npm start`: the relay on http://localhost:3000 (PORT overrides), same routes and handler code
 * as the deployed API, against the built-in SmartConnect simulator — or against the SmartConnect
 * in SMARTCONNECT_ENVIRONMENT (HTTPS; NODE_EXTRA_CA_CERTS is trusted as usual).
 */
import { randomUUID } from 'node:crypto';
import { checkEnvironment } from '#smartconnect/environment-guard.ts';
import { createFileTenantStore, createMemoryTenantStore, type TenantStore } from '#tenants/tenant-store.ts';
import { defaultLocalTenantsFile } from '../scripts/tenant-cli.ts';
import { startLocalRelay } from './local-relay.ts';

const port = Number(process.env.PORT ?? 3000);
const external = process.env.SMARTCONNECT_ENVIRONMENT;

if (external) {
  // The local relay runs as the dev stage: refuse production here, before anything is sent.
  const check = checkEnvironment('dev', external);
  if (!check.ok) {
    console.error(`Refusing to start: ${check.reason}`);
    process.exit(1);
  }
}

// The console shows one line per request (developer-console.ts); RELAY_DEBUG=1 adds the
// functions' own structured logs, stacks included.
if (process.env.RELAY_DEBUG === '1') process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
else process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
// As on the stages: browser POS front-ends on these origins may call the relay.
const corsAllowedOrigins = (process.env.CORS_ALLOWED_ORIGINS ?? '').split(',').map((o) => o.trim()).filter(Boolean);

// This run's key lives in memory; tenants made with `npm run tenant -- create --local` live in
// .local/tenants.json (hashes only) and work too, revocations included, without a restart.
const memory = createMemoryTenantStore();
const file = createFileTenantStore(defaultLocalTenantsFile);
const tenantStore: TenantStore = { ...memory, findActiveKey: async (keyId) => (await memory.findActiveKey(keyId)) ?? (await file.findActiveKey(keyId)) };
const vendor = process.env.RELAY_VENDOR_NAME ?? 'LocalPOS';

const relay = await startLocalRelay({
  port,
  tenantStore,
  posVendorNames: [vendor],
  apiKey: process.env.RELAY_API_KEY || undefined,
  smartConnectEnvironment: external,
  // Generous for people typing by hand; the tests use SmartConnect's ~2 minutes.
  simulator: { port: Number(process.env.SIMULATOR_PORT ?? 0), pairingCodeTtlMs: 15 * 60_000 },
  corsAllowedOrigins,
  developerConsole: { log: (line) => console.log(line) },
});

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
  process.env.RELAY_API_KEY ? '  (from RELAY_API_KEY)' : '  (generated for this run; set RELAY_API_KEY to keep one across runs)',
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
lines.push('', 'One line per request below (RELAY_DEBUG=1 for the full logs). Press Ctrl+C to stop.', '');
console.log(lines.join('\n'));

let stopping = false;
const stop = async () => {
  // A second Ctrl+C does not wait for the polls under way.
  if (stopping) process.exit(130);
  stopping = true;
  console.log('\nStopping: letting polls under way finish (Ctrl+C again to quit at once)…');
  await relay.close();
  console.log('Stopped.');
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
