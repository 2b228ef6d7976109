import { startSimulator } from '../local/simulator/index.ts';
import { startSsmStandIn } from '../local/ssm-stand-in.ts';
import { trustSimulatorCa } from '../local/local-relay.ts';
trustSimulatorCa();
const sim = await startSimulator({ pairingCodeTtlMs: 3600_000 });
const ssm = await startSsmStandIn({ '/smartconnect/dev/environment': sim.baseUrl });
Object.assign(process.env, { RELAY_STAGE: 'dev', SMARTCONNECT_ENVIRONMENT_PARAMETER: '/smartconnect/dev/environment', AWS_ENDPOINT_URL_SSM: ssm.endpoint, AWS_REGION: 'local', POWERTOOLS_LOG_LEVEL: 'SILENT' });
const { handler } = await import('../functions/pair-register/handler.ts');
const pairing = JSON.stringify({ posRegisterId: 'bench-register', posRegisterName: 'Bench', posBusinessName: 'Bench Shop', posVendorName: 'BenchPOS' });
const ctx = { awsRequestId: 'b', functionName: 'b', getRemainingTimeInMillis: () => 10000 } as any;
for (let i = 0; i < 6000; i++) { const code = sim.issuePairingCode(); await handler({ httpMethod: 'PUT', headers: { 'Content-Type': 'application/json' }, pathParameters: { pairingCode: code }, body: pairing } as any, ctx); }
await sim.close(); await ssm.close(); process.exit(0);
