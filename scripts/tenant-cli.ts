/**
 * The tenant administration command (`node scripts/tenant.ts …`, `npm run tenant -- …`), as a
 * function of its arguments and streams so tests can run it in-process as well as spawned.
 *
 * Targets: `--stage <dev|prod>` (the deployed stage: its tenants table and its API Gateway usage
 * plans), `--table <name>` (a tenants table alone, no usage plans) or `--local`/`--file` (npm start).
 *
 * Exit codes: 0 done; 1 refused or failed (unknown tenant or key, a third key, AWS errors);
 * 2 wrong usage or invalid input.
 */
import { TenantStoreError } from '#tenants/tenant-store.ts';
import { runTenantCommand } from './tenant-cli-commands.ts';
import { describe, openTarget } from './tenant-cli-targets.ts';
import { parse, usage, UsageError } from './tenant-cli-usage.ts';
import type { UsagePlanProvisioner } from './usage-plans.ts';

export { defaultLocalTenantsFile } from './tenant-cli-targets.ts';
export { usage } from './tenant-cli-usage.ts';

export interface CliIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
  readonly env: NodeJS.ProcessEnv;
}

export interface CliDependencies {
  /**
   * The usage plans of `--stage` targets, instead of the API Gateway one the CLI builds (tests).
   * `--table` and `--local` targets never provision usage plans.
   */
  readonly usagePlans?: UsagePlanProvisioner;
}

export async function runTenantCli(argv: readonly string[], io: CliIo, deps: CliDependencies = {}): Promise<number> {
  const out = (text = '') => io.stdout.write(`${text}\n`);
  const err = (text: string) => io.stderr.write(`${text}\n`);
  let close = () => {};
  let describeTarget: ((error: unknown) => string | undefined) | undefined;
  if (argv[0] === 'webhooks') return (await import('./webhooks-cli.ts')).runWebhooksCli(argv.slice(1), io);
  try {
    const { values, positionals } = parse(argv);
    if (values.help) {
      out(usage);
      return 0;
    }
    const [command, ...extra] = positionals;
    if (!command) throw new UsageError('a command is required');
    if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
    if (!['create', 'list', 'rotate', 'revoke', 'attach-plan', 'add-vendor', 'cleanup'].includes(command)) throw new UsageError(`unknown command ${JSON.stringify(command)}`);

    const target = await openTarget(values, io.env, deps);
    close = target.close;
    describeTarget = target.describe;
    return await runTenantCommand(command, values, target, out, err);
  } catch (error) {
    if (error instanceof UsageError) {
      err(`error: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof TenantStoreError) {
      err(`error: ${error.message}`);
      return error.code === 'invalid-input' || error.code === 'reserved-tenant-id' ? 2 : 1;
    }
    err(`error: ${describeTarget?.(error) ?? describe(error)}`);
    return 1;
  } finally {
    close();
  }
}
