import { RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { ManagedPolicy, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/**
 * API Gateway's execution logging needs one CloudWatch role set on the *account* (per region), not
 * per API. Owning it in each stage stack (`RestApi({ cloudWatchRole: true })`) would make dev and
 * prod overwrite each other's setting when they share an account, and destroying one stage would
 * break the other's logging. So one small stack per account and region owns it, and the stage
 * stacks depend on it. If something outside this app already sets the account's CloudWatch role,
 * this stack replaces that setting: deploy it only where that is intended.
 */
export class ApiGatewayAccountStack extends Stack {
  readonly cloudWatchRole: Role;

  constructor(scope: Construct, id: string, props: StackProps) {
    super(scope, id, props);
    this.cloudWatchRole = new Role(this, 'CloudWatchRole', {
      assumedBy: new ServicePrincipal('apigateway.amazonaws.com'),
      description: 'Lets API Gateway write execution logs of every REST API in this account and region',
      managedPolicies: [ManagedPolicy.fromAwsManagedPolicyName('service-role/AmazonAPIGatewayPushToCloudWatchLogs')],
    });
    // Other APIs in the account may rely on the setting: keep the role if this stack goes.
    this.cloudWatchRole.applyRemovalPolicy(RemovalPolicy.RETAIN);
    Validations.of(this.cloudWatchRole).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason:
        'AWS maintains this service-role policy for exactly this account-wide role; API Gateway creates the execution log groups itself (one per API and stage), so a hand-written policy could not name them without wildcards.',
    });
    new CfnAccount(this, 'Account', { cloudWatchRoleArn: this.cloudWatchRole.roleArn });
  }
}
