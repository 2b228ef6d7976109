import type { Stage } from '#runtime/runtime-config.ts';
import type { PipelineConfig, StageConfig } from './stages.ts';

const accountPattern = /^\d{12}$/;

/** Every stage and the pipeline name a 12-digit account: nothing falls back to whoever runs the CLI. */
export function checkTargets(stages: Readonly<Record<Stage, StageConfig>>, pipeline: PipelineConfig): void {
  for (const config of Object.values(stages)) {
    if (!accountPattern.test(config.account)) throw new Error(`Stage ${config.stage}: account must be a 12-digit AWS account id (got ${JSON.stringify(config.account)}).`);
  }
  if (!accountPattern.test(pipeline.account)) throw new Error(`Pipeline: account must be a 12-digit AWS account id (got ${JSON.stringify(pipeline.account)}).`);
}

/**
 * `npm run deploy:<stage>` sets RELAY_DEPLOY_STAGE; the CDK CLI sets CDK_DEFAULT_ACCOUNT to the
 * account of the shell's credentials. A direct deploy with credentials of another account is refused
 * here, before anything is built, so `deploy:prod` cannot land in a dev or personal account.
 */
export function checkDeployTarget(
  target: string | undefined,
  stages: Readonly<Record<Stage, StageConfig>>,
  credentialsAccount: string | undefined,
): void {
  if (target === undefined || target === '') return;
  if (!(target in stages)) throw new Error(`RELAY_DEPLOY_STAGE must be one of ${Object.keys(stages).join(', ')} (got ${JSON.stringify(target)}).`);
  const config = stages[target as Stage];
  if (!credentialsAccount) {
    throw new Error(`Refusing to deploy ${target}: the CDK could not tell which account your credentials belong to. Sign in to account ${config.account} first.`);
  }
  if (credentialsAccount !== config.account) {
    throw new Error(
      `Refusing to deploy ${target}: your credentials are for account ${credentialsAccount}, but the ${target} stage lives in account ${config.account} (infra/stages.ts).`,
    );
  }
}
