/**
 * Where `npm start` keeps its state between runs: `.local/state/` in the repository (git-ignored),
 * or RELAY_STATE_DIR. It holds
 * - `dynamodb/`: the relay's tables (the DynamoDB stand-in's LevelDB folder);
 * - `simulator.json`: the simulator's pairings, pairing codes and transactions;
 * - `relay.json`: the generated API key and the simulator's port, so a POS configured against one
 *   run keeps working, and the polling URLs the relay stored still reach the simulator.
 */
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const defaultStateDir = fileURLToPath(new URL('../.local/state', import.meta.url));

export interface StatePaths {
  readonly dir: string;
  readonly dynamo: string;
  readonly simulator: string;
  readonly relay: string;
}

export interface RelayState {
  readonly version: 1;
  /** The key printed for the run's tenant (when it was generated, not RELAY_API_KEY). */
  readonly apiKey?: string;
  readonly simulatorPort?: number;
}

export function statePaths(dir: string = process.env.RELAY_STATE_DIR || defaultStateDir): StatePaths {
  const root = resolve(dir);
  return { dir: root, dynamo: join(root, 'dynamodb'), simulator: join(root, 'simulator.json'), relay: join(root, 'relay.json') };
}

/** A clean slate: removes only what `npm start` writes there, never anything else in the folder. */
export function wipeState(paths: StatePaths): void {
  for (const path of [paths.dynamo, paths.simulator, paths.relay]) rmSync(path, { recursive: true, force: true });
}

export function readRelayState(paths: StatePaths): RelayState {
  let text: string;
  try {
    text = readFileSync(paths.relay, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1 };
    throw new Error(`cannot read ${paths.relay} (${(error as NodeJS.ErrnoException).code ?? String(error)})`, { cause: error });
  }
  let state: unknown;
  try {
    state = JSON.parse(text);
  } catch {
    state = undefined;
  }
  const { version, apiKey, simulatorPort } = (state ?? {}) as Record<string, unknown>;
  const valid =
    version === 1 &&
    (apiKey === undefined || typeof apiKey === 'string') &&
    (simulatorPort === undefined || (Number.isInteger(simulatorPort) && (simulatorPort as number) > 0 && (simulatorPort as number) <= 65_535));
  if (!valid) throw new Error(`${paths.relay} is not a version 1 relay state file; move it away or start with --fresh`);
  return state as RelayState;
}

/** Written whole and renamed into place: a kill never leaves half a file. Holds a key, so 0600. */
export function writeRelayState(paths: StatePaths, state: RelayState): void {
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  const temporary = `${paths.relay}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  renameSync(temporary, paths.relay);
}
