/**
 * Runs one synthesized Lambda bundle the way the Lambda runtime would: a fresh plain Node process
 * whose environment is only the function's template environment plus what the caller adds
 * (AWS_ENDPOINT_URL_SSM for the stand-in SSM, NODE_EXTRA_CA_CERTS to trust the simulator).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyResult } from 'aws-lambda';

export const cdkOut = new URL('../../cdk.out/', import.meta.url).pathname;

export interface SynthesizedFunction {
  readonly logicalId: string;
  readonly bundle: string;
  readonly environment: Record<string, string>;
}

interface TemplateResource {
  Type: string;
  Properties: { Code?: { S3Key?: string }; Environment?: { Variables?: Record<string, string> }; Handler?: string };
}

interface Manifest {
  artifacts: Record<string, { type: string; properties?: { stackName?: string; templateFile?: string; directoryName?: string } }>;
}

/**
 * The template file of a stack, by its CloudFormation name. Stacks of a CDK Stage live in nested
 * assemblies (`cdk.out/assembly-<stage>/`); bundles stay in cdk.out itself.
 */
export function templatePath(stackName: string, dir = cdkOut): string | undefined {
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;
  for (const artifact of Object.values(manifest.artifacts)) {
    const { properties } = artifact;
    if (artifact.type === 'aws:cloudformation:stack' && properties?.stackName === stackName && properties.templateFile) {
      return join(dir, properties.templateFile);
    }
    if (artifact.type === 'cdk:cloud-assembly' && properties?.directoryName) {
      const found = templatePath(stackName, join(dir, properties.directoryName));
      if (found) return found;
    }
  }
  return undefined;
}

/** Finds each Lambda function of a stack in cdk.out, with its bundle file and template environment. */
export function synthesizedFunctions(stackName: string): SynthesizedFunction[] {
  const path = templatePath(stackName);
  if (!path) throw new Error(`No stack named ${stackName} in ${cdkOut}: run npm run synth first.`);
  const template = JSON.parse(readFileSync(path, 'utf8')) as {
    Resources: Record<string, TemplateResource>;
  };
  return Object.entries(template.Resources)
    .filter(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Properties.Environment?.Variables)
    .map(([logicalId, r]) => {
      const hash = r.Properties.Code!.S3Key!.replace(/\.zip$/, '');
      const file = (r.Properties.Handler ?? 'index.handler').split('.')[0]!;
      return { logicalId, bundle: join(cdkOut, `asset.${hash}`, `${file}.mjs`), environment: r.Properties.Environment!.Variables! };
    });
}

const runner = `
const [bundle, event] = process.argv.slice(1);
const { handler } = await import(bundle);
const context = { awsRequestId: 'bundle-test', functionName: 'bundle-test', getRemainingTimeInMillis: () => 20000 };
const result = await handler(JSON.parse(event), context);
process.stdout.write('\\n@@RESULT@@' + JSON.stringify(result));
`;

export function invokeBundle(
  fn: SynthesizedFunction,
  event: object,
  extraEnv: Record<string, string>,
  /** Receives what the bundle wrote to stdout and stderr (its log lines). */
  logs?: string[],
): Promise<APIGatewayProxyResult> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['--input-type=module', '-e', runner, `file://${fn.bundle}`, JSON.stringify(event)],
      { env: { ...fn.environment, ...extraEnv }, timeout: 30_000 },
      (error, stdout, stderr) => {
        logs?.push(stdout, stderr);
        const marker = stdout.lastIndexOf('@@RESULT@@');
        if (error || marker < 0) return reject(new Error(`bundle failed: ${error?.message}\n${stderr}\n${stdout}`));
        resolve(JSON.parse(stdout.slice(marker + '@@RESULT@@'.length)) as APIGatewayProxyResult);
      },
    );
  });
}
