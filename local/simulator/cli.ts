/**
 * Runs the simulator by hand: `npx node local/simulator/cli.ts` (PORT, default 8443; 0 picks a
 * free port). Prints the base URL, a fresh pairing code and the curl line for the next one.
 */
import { fileURLToPath } from 'node:url';
import { simulatorCaUrl, startSimulator } from './index.ts';

const port = Number(process.env.PORT ?? 8443);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`PORT must be an integer 0–65535, got "${process.env.PORT}"`);
  process.exit(2);
}

const simulator = await startSimulator({ port });
// Handlers go in before the banner: whoever reads it may signal at once.
let stopping = false;
const stop = (signal: NodeJS.Signals): void => {
  if (stopping) return;
  stopping = true;
  console.log(`${signal}: stopping`);
  simulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

const ca = fileURLToPath(simulatorCaUrl);
const code = simulator.issuePairingCode();

// One write, so whoever reads stdout sees the whole banner at once.
console.log(
  [
    `SmartConnect simulator listening: ${simulator.baseUrl}`,
    `Virtual terminal (pairing codes, registers, transactions; 62-cent amounts wait for you): ${simulator.origin}/_device`,
    '  (the browser must trust the test CA, or accept its warning; `npm start` serves the same page over plain HTTP)',
    `Pairing code (valid 2 minutes, single use): ${code}`,
    'New pairing code:',
    `  curl --cacert ${ca} -X POST ${simulator.origin}/_device/pairing-codes`,
    'Pair a register:',
    `  curl --cacert ${ca} -X PUT ${simulator.baseUrl}/Pairing/${code} ` +
      "-d POSRegisterID=till-1 -d 'POSRegisterName=Till 1' -d 'POSBusinessName=Demo Shop' -d POSVendorName=Demo",
    'Amount cents 51–61 script the outcome, 62 waits for the virtual terminal (local/simulator/README.md). Ctrl-C stops.',
  ].join('\n'),
);
