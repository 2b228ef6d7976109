import { Validations, type Stack } from 'aws-cdk-lib';
import { LambdaDeploymentConfig, LambdaDeploymentGroup } from 'aws-cdk-lib/aws-codedeploy';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { RelayAlarms } from './relay-alarms.ts';
import { pascalCase, type RelayFunction } from './relay-function.ts';
import type { StageConfig } from './stages.ts';

/**
 * The CodeDeploy wiring of a relay stack, by handler folder. Its role and deployment groups are
 * created in the stack itself (not in a construct of their own), so their logical ids stay as they
 * were and a deployment does not replace them.
 */
export function addLiveAliasDeployments(
  stack: Stack,
  config: StageConfig,
  functions: Readonly<Record<string, RelayFunction>>,
  alarms: RelayAlarms,
): Record<string, LambdaDeploymentGroup> {
  // One CodeDeploy application and role; a deployment group per function moves its `live` alias:
  // a canary on prod, all at once on dev, and back to the old version when a rollback alarm fires.
  const deployRole = new Role(stack, 'DeployRole', {
    assumedBy: new ServicePrincipal('codedeploy.amazonaws.com'),
    description: `Lets CodeDeploy shift the ${config.stage} relay's live aliases`,
    managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSCodeDeployRoleForLambdaLimited')],
  });
  Validations.of(deployRole).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
    reason:
      'AWS maintains this policy for exactly this use: CodeDeploy reading the rollback alarms and moving Lambda aliases; CDK uses it for every Lambda deployment group.',
  });
  const deploymentConfig = config.deployment === 'canary' ? LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES : LambdaDeploymentConfig.ALL_AT_ONCE;
  const deploymentGroups: Record<string, LambdaDeploymentGroup> = {};
  for (const [handler, fn] of Object.entries(functions)) {
    deploymentGroups[handler] = new LambdaDeploymentGroup(stack, `${pascalCase(handler)}Deployment`, {
      alias: fn.live,
      deploymentConfig,
      role: deployRole,
      alarms: alarms.rollbackAlarmsFor(handler),
      autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
    });
  }
  return deploymentGroups;
}
