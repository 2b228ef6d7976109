import { App } from 'aws-cdk-lib';
import { defineRelayApp } from './relay-app.ts';
import { stages } from './stages.ts';

const app = new App();

// Only dev may be pointed elsewhere per synth (e.g. a simulator); the guard still checks it.
const devSmartConnectEnvironment: unknown = app.node.tryGetContext('devSmartConnectEnvironment');
if (devSmartConnectEnvironment !== undefined && typeof devSmartConnectEnvironment !== 'string') {
  throw new Error('Context devSmartConnectEnvironment must be a URL string.');
}

defineRelayApp(app, {
  stages: {
    ...stages,
    dev: { ...stages.dev, smartConnectEnvironment: devSmartConnectEnvironment ?? stages.dev.smartConnectEnvironment },
  },
  defaultAccount: process.env.CDK_DEFAULT_ACCOUNT,
});

app.synth();
