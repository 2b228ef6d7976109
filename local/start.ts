/**
 * `npm start`: the relay on http://localhost:3000 (PORT overrides), same routes and handler code
 * as the deployed API, against the built-in SmartConnect simulator — or against the SmartConnect
 * in SMARTCONNECT_ENVIRONMENT (HTTPS; NODE_EXTRA_CA_CERTS is trusted as usual).
 */
import { randomUUID } from 'node:crypto';
import { checkEnvironment } from '../functions/shared/environment-guard.ts';
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

process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const relay = await startLocalRelay({
  port,
  smartConnectEnvironment: external,
  // Generous for people typing by hand; the tests use SmartConnect's ~2 minutes.
  simulator: { port: Number(process.env.SIMULATOR_PORT ?? 0), pairingCodeTtlMs: 15 * 60_000 },
});

const base = relay.url.replace('127.0.0.1', 'localhost');
const lines = [
  '',
  `SmartConnect relay (dev stage) listening on ${base}`,
  `SmartConnect environment: ${external ?? `${relay.simulator!.baseUrl} (built-in simulator)`}`,
];
if (relay.simulator) {
  const code = relay.simulator.issuePairingCode();
  const register = '"posRegisterId":"till-1","posBusinessName":"Toys Shop","posVendorName":"Till2Go"';
  lines.push(
    '',
    `1. The simulated terminal shows pairing code ${code} (valid 15 minutes, single use). Pair a register:`,
    '',
    `  curl -sS -X PUT ${base}/pairing/${code} \\`,
    `    -H 'Content-Type: application/json' \\`,
    `    -d '{${register},"posRegisterName":"Main Register"}'`,
    '',
    '2. Start a $12.50 purchase. Run it twice: the same Idempotency-Key gives back the same transaction,',
    '   and the terminal is asked once. (Amounts whose cents are 51–61 script other outcomes: see the README.)',
    '',
    `  curl -sS -X POST ${base}/transactions \\`,
    `    -H 'Content-Type: application/json' -H 'Idempotency-Key: ${randomUUID()}' \\`,
    `    -d '{"transactionType":"Card.Purchase",${register},"amountTotal":1250}'`,
    '',
    '3. Follow it with the id from the answer (the simulated terminal answers after about 3 s):',
    '',
    `  curl -sS ${base}/transactions/<id>`,
    '',
    'A new pairing code from the simulated terminal:',
    '',
    `  curl -sS --cacert local/certs/ca.pem -X POST ${relay.simulator.origin}/_device/pairing-codes`,
  );
}
lines.push('', 'Press Ctrl+C to stop.', '');
console.log(lines.join('\n'));

const stop = async () => {
  await relay.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
