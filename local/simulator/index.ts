/**
 * An in-process SmartConnect over HTTPS on 127.0.0.1, for the relay's tests, its local run and
 * people trying the API by hand. The contract is docs/smartconnect.md;
 * README.md beside this file has the scripted outcomes.
 */
import { readFileSync } from 'node:fs';
import { createDeviceConsole } from './device-api.ts';
import { FaultQueue } from './faults.ts';
import { PairingRegistry } from './pairing.ts';
import { startServer } from './server.ts';
import { readStateFile, writeStateFile } from './state-file.ts';
import { TransactionStore } from './transactions.ts';
import type { RecordedRequest, Simulator, SimulatorOptions } from './types.ts';

export type {
  Fault,
  FaultRoute,
  IssuedPairingCode,
  PairingRecord,
  RecordedRequest,
  RouteName,
  Simulator,
  SimulatorOptions,
} from './types.ts';
export { outcomeByCents } from './outcomes.ts';
export type { ConsoleAnswer, DeviceConsole } from './device-api.ts';

export const defaultSimulatorOptions = {
  port: 0,
  pairingCodeTtlMs: 120_000,
  minPollIntervalMs: 2_000,
  tokenTtlMs: 15 * 60_000,
  deviceResponseMs: 3_000,
  delayedPhaseMs: 10_000,
} as const;

/** The test-only CA that signed the simulator's certificate: trust it in clients, nowhere else. */
export const simulatorCaUrl = new URL('../certs/ca.pem', import.meta.url);

export async function startSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const settings = { ...defaultSimulatorOptions, ...definedOnly(options) };
  for (const [name, value] of Object.entries(settings)) {
    if (!Number.isFinite(value) || value < 0) throw new Error(`SimulatorOptions.${name} must be a non-negative number, got ${value}`);
  }
  if (!Number.isInteger(settings.port) || settings.port > 65_535) throw new Error(`SimulatorOptions.port must be 0–65535, got ${settings.port}`);
  const now = options.now ?? Date.now;

  const pairing = new PairingRegistry(now, settings.pairingCodeTtlMs);
  let origin = '';
  const transactions = new TransactionStore(now, settings, pairing, () => origin);
  const faults = new FaultQueue();
  const requests: RecordedRequest[] = [];
  const { stateFile } = options;
  const saved = stateFile === undefined ? undefined : readStateFile(stateFile);
  if (saved) {
    pairing.restore(saved.pairing);
    transactions.restore(saved.transactions);
  }
  const persist = stateFile === undefined ? undefined : () => writeStateFile(stateFile, { version: 1, pairing: pairing.snapshot(), transactions: transactions.snapshot() });
  const tls = {
    key: readFileSync(new URL('../certs/simulator-key.pem', import.meta.url)),
    cert: readFileSync(new URL('../certs/simulator.pem', import.meta.url)),
  };
  const deviceConsole = createDeviceConsole({ pairing, transactions });
  const server = await startServer({ pairing, transactions, faults, requests, tls, deviceConsole, persist }, settings.port);
  origin = `https://127.0.0.1:${server.port}`;

  return {
    baseUrl: `${origin}/POS`,
    origin,
    issuePairingCode: (o) => {
      const code = pairing.issueCode(o?.deviceId).pairingCode;
      persist?.();
      return code;
    },
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    failNext: (route, fault, times) => faults.add(route, fault, times),
    pairings: () => pairing.list(),
    deviceConsole,
    close: () => server.close(),
  };
}

function definedOnly(options: SimulatorOptions): Partial<Record<keyof typeof defaultSimulatorOptions, number>> {
  const out: Partial<Record<keyof typeof defaultSimulatorOptions, number>> = {};
  for (const key of Object.keys(defaultSimulatorOptions) as Array<keyof typeof defaultSimulatorOptions>) {
    const value = options[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
