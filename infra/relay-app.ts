import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Stage } from '#runtime/runtime-config.ts';
import type { ApiGatewayAccountStack } from './api-gateway-account-stack.ts';
import { PipelineStack } from './pipeline-stack.ts';
import type { RelayStack } from './relay-stack.ts';
import { RelayStage } from './relay-stage.ts';
import { checkTargets } from './stage-checks.ts';
import type { PipelineConfig, StageConfig } from './stages.ts';

export interface RelayAppOptions {
  readonly stages: Readonly<Record<Stage, StageConfig>>;
  readonly pipeline: PipelineConfig;
}

export interface RelayApp {
  readonly stages: Readonly<Record<Stage, RelayStage>>;
  readonly stacks: Readonly<Record<Stage, RelayStack>>;
  readonly accountStacks: readonly ApiGatewayAccountStack[];
  readonly pipeline: PipelineStack;
}

/**
 * Adds both stages (`dev/…`, `prod/…`) and the pipeline that deploys them to the app, with cdk-nag's
 * AwsSolutions checks. Kept apart from app.ts so the tests build exactly what `cdk synth` builds,
 * without reading the environment.
 */
export function defineRelayApp(app: App, options: RelayAppOptions): RelayApp {
  checkTargets(options.stages, options.pipeline);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const accountsWithSetting = new Set<string>();
  const build = (config: StageConfig): RelayStage => {
    // The API Gateway account setting is one per account and region: the first stage there owns it.
    const scope = `${config.account}-${config.region}`;
    const ownsAccountSetting = !accountsWithSetting.has(scope);
    accountsWithSetting.add(scope);
    return new RelayStage(app, { config, ownsAccountSetting });
  };
  const stages = { dev: build(options.stages.dev), prod: build(options.stages.prod) };
  const pipeline = new PipelineStack(app, 'SmartConnectRelay-Pipeline', { pipeline: options.pipeline, dev: stages.dev, prod: stages.prod });
  return {
    stages,
    stacks: { dev: stages.dev.relay, prod: stages.prod.relay },
    accountStacks: Object.values(stages).flatMap((s) => (s.accountStack ? [s.accountStack] : [])),
    pipeline,
  };
}
