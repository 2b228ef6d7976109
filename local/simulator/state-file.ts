/**
 * The simulator's pairings and transactions in one JSON file, so a restarted `npm start` finds the
 * terminals and transactions the relay still polls. Written whole to a temporary file and renamed
 * over the old one: a kill at any moment leaves either the old state or the new, never half.
 * Written synchronously before an answer leaves, so anything the relay was told is on disk.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PairingSnapshot } from './pairing.ts';
import type { TransactionSnapshot } from './transactions.ts';

export interface SimulatorState {
  readonly version: 1;
  readonly pairing: PairingSnapshot;
  readonly transactions: TransactionSnapshot;
}

/** The file exists but is not a state file this simulator wrote: fix or delete it, never overwrite. */
export class StateFileError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StateFileError';
  }
}

/** The saved state, or undefined when there is none yet. */
export function readStateFile(path: string): SimulatorState | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StateFileError(`cannot read the simulator state file ${path} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch (error) {
    throw new StateFileError(`the simulator state file ${path} is not valid JSON; move it away or start with --fresh`, { cause: error });
  }
  if (!isSimulatorState(state)) throw new StateFileError(`the simulator state file ${path} is not a version 1 simulator state; move it away or start with --fresh`);
  return state;
}

export function writeStateFile(path: string, state: SimulatorState): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, JSON.stringify(state), { mode: 0o600 });
  renameSync(temporary, path);
}

function isSimulatorState(value: unknown): value is SimulatorState {
  if (typeof value !== 'object' || value === null) return false;
  const { version, pairing, transactions } = value as Record<string, unknown>;
  if (version !== 1 || typeof pairing !== 'object' || pairing === null || typeof transactions !== 'object' || transactions === null) return false;
  const p = pairing as Record<string, unknown>;
  const t = transactions as Record<string, unknown>;
  return (
    Array.isArray(p.codes) &&
    Array.isArray(p.pairings) &&
    Array.isArray(p.devices) &&
    Number.isInteger(p.nextDevice) &&
    Array.isArray(t.transactions) &&
    t.transactions.every((tx) => typeof tx === 'object' && tx !== null && typeof (tx as Record<string, unknown>).id === 'string' && typeof (tx as Record<string, unknown>).deviceId === 'string') &&
    Array.isArray(t.results)
  );
}
