import { Validations, type App } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Stage } from '#runtime/runtime-config.ts';
import { ApiGatewayAccountStack } from './api-gateway-account-stack.ts';
import { RelayStack } from './relay-stack.ts';
import type { StageConfig } from './stages.ts';

export interface RelayAppOptions {
  readonly stages: Readonly<Record<Stage, StageConfig>>;
  /** Used for stages that name no account (app.ts passes CDK_DEFAULT_ACCOUNT). */
  readonly defaultAccount?: string;
}

export interface RelayApp {
  readonly stacks: Readonly<Record<Stage, RelayStack>>;
  readonly accountStacks: readonly ApiGatewayAccountStack[];
}

/**
 * Adds every stage to the app, with cdk-nag's AwsSolutions checks. Kept apart from app.ts so the
 * tests build exactly what `cdk synth` builds, without reading the environment.
 */
export function defineRelayApp(app: App, options: RelayAppOptions): RelayApp {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const accountStacks = new Map<string, ApiGatewayAccountStack>();
  const build = (config: StageConfig): RelayStack => {
    const env = { account: config.account ?? options.defaultAccount, region: config.region };
    // Keyed by the configured account (static data), so stack names do not depend on who runs synth.
    // Hence name the account on every stage or on none: a named account equal to the default one
    // would get a second, conflicting account stack.
    const scopeName = [config.account, config.region].filter(Boolean).join('-');
    let accountStack = accountStacks.get(scopeName);
    if (!accountStack) {
      accountStack = new ApiGatewayAccountStack(app, `SmartConnectRelay-ApiGatewayAccount-${scopeName}`, { env });
      accountStacks.set(scopeName, accountStack);
    }
    const stack = new RelayStack(app, `SmartConnectRelay-${config.stage}`, { env, config });
    stack.addStackDependency(accountStack, 'API Gateway needs the account CloudWatch role before a stage enables execution logs');
    return stack;
  };
  const stacks = { dev: build(options.stages.dev), prod: build(options.stages.prod) };
  return { stacks, accountStacks: [...accountStacks.values()] };
}
