/**
 * A real `npm start` (node local/start.ts) in its own process, on a free port, with its state in
 * a directory the test chooses. Pointed at a simulator that runs in the test process, so the test
 * can count and fault what reaches SmartConnect while the relay can crash (or be killed) alone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { closedPort } from '../../support/relay-client.ts';
import { send } from './http.ts';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const caFile = fileURLToPath(new URL('../../../local/certs/ca.pem', import.meta.url));

export interface SpawnedRelayOptions {
  /** SmartConnect base URL (a test simulator's `baseUrl`); the built-in simulator when omitted. */
  readonly smartConnectEnvironment?: string;
  /** Where the run keeps its state (RELAY_STATE_DIR). */
  readonly stateDir: string;
  readonly apiKey?: string;
  readonly port?: number;
  readonly env?: Record<string, string>;
}

export interface SpawnedRelay {
  readonly url: string;
  readonly port: number;
  readonly apiKey: string;
  readonly child: ChildProcess;
  /** stdout and stderr so far. */
  output(): string;
  alive(): boolean;
  /** kill -9: no shutdown code runs. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

export const localApiKey = 'reliability-suite-local-key';

export async function spawnRelay(options: SpawnedRelayOptions): Promise<SpawnedRelay> {
  const port = options.port ?? (await closedPort());
  const apiKey = options.apiKey ?? localApiKey;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    RELAY_API_KEY: apiKey,
    RELAY_STATE_DIR: options.stateDir,
    NODE_EXTRA_CA_CERTS: caFile,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...options.env,
  };
  delete env.NODE_OPTIONS;
  if (options.smartConnectEnvironment) env.SMARTCONNECT_ENVIRONMENT = options.smartConnectEnvironment;
  else delete env.SMARTCONNECT_ENVIRONMENT;

  const child = spawn(process.execPath, ['local/start.ts'], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const alive = () => child.exitCode === null && child.signalCode === null;
  const url = `http://127.0.0.1:${port}`;

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!alive()) throw new Error(`npm start exited (${child.exitCode ?? child.signalCode}) before it served:\n${output}`);
    const health = await send(url, { path: '/health' }, 2_000).catch(() => undefined);
    if (health?.status === 200) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`npm start did not answer /health within 30 s:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    url,
    port,
    apiKey,
    child,
    output: () => output,
    alive,
    async crash() {
      if (alive()) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (alive()) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}
