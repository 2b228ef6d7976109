import { App } from 'aws-cdk-lib';
import { defineRelayApp } from './relay-app.ts';
import { checkDeployTarget } from './stage-checks.ts';
import { pipelineConfig, stages } from './stages.ts';

const app = new App();

// Only dev may be pointed elsewhere per synth (e.g. a simulator); the guard still checks it.
const devSmartConnectEnvironment: unknown = app.node.tryGetContext('devSmartConnectEnvironment');
if (devSmartConnectEnvironment !== undefined && typeof devSmartConnectEnvironment !== 'string') {
  throw new Error('Context devSmartConnectEnvironment must be a URL string.');
}

// `npm run deploy:<stage>` names its stage: refuse credentials of any other account.
checkDeployTarget(process.env.RELAY_DEPLOY_STAGE, stages, process.env.CDK_DEFAULT_ACCOUNT);

defineRelayApp(app, {
  stages: {
    ...stages,
    dev: { ...stages.dev, smartConnectEnvironment: devSmartConnectEnvironment ?? stages.dev.smartConnectEnvironment },
  },
  pipeline: pipelineConfig,
});

app.synth();
