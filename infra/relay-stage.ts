import { Stage, type StageProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { ApiGatewayAccountStack } from './api-gateway-account-stack.ts';
import { RelayStack } from './relay-stack.ts';
import type { StageConfig } from './stages.ts';

export interface RelayStageProps extends StageProps {
  readonly config: StageConfig;
  /**
   * Whether this stage owns its account's API Gateway CloudWatch role (ApiGatewayAccountStack).
   * Only the first stage in an account and region does; another stage in the same account relies on it.
   */
  readonly ownsAccountSetting: boolean;
}

/**
 * One deployable relay stage (`dev` or `prod`), in its own account and region: what the pipeline
 * deploys, and what `cdk deploy 'dev/*'` deploys directly. The stack keeps its name,
 * `SmartConnectRelay-<stage>`, so existing deployments are updated in place.
 */
export class RelayStage extends Stage {
  readonly relay: RelayStack;
  readonly accountStack?: ApiGatewayAccountStack;

  constructor(scope: Construct, props: RelayStageProps) {
    const { config } = props;
    super(scope, config.stage, { ...props, env: { account: config.account, region: config.region } });
    if (props.ownsAccountSetting) {
      this.accountStack = new ApiGatewayAccountStack(this, 'ApiGatewayAccount', {
        stackName: `SmartConnectRelay-ApiGatewayAccount-${config.account}-${config.region}`,
      });
    }
    this.relay = new RelayStack(this, 'Relay', { stackName: `SmartConnectRelay-${config.stage}`, config });
    if (this.accountStack) {
      this.relay.addStackDependency(this.accountStack, 'API Gateway needs the account CloudWatch role before a stage enables execution logs');
    }
  }
}
