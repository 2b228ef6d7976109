/**
 * Property-based requests over every route (fast-check, seeded): valid and invalid bodies,
 * headers, paths and methods against `npm start` and the simulator. Whatever arrives, the relay
 * answers JSON without a 5xx, and a request that is wrong by construction never reaches
 * SmartConnect (counted at the simulator).
 */
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { startSimulator, type Simulator } from '../../local/simulator/index.ts';
import { createFigures } from './support/figures.ts';
import { isJsonType, send, type Answer, type Outgoing } from './support/http.ts';
import { pairedRegister, type Register } from './support/relay-calls.ts';
import { modelRequest, percentEncode, type ModelRequest } from './support/request-model.ts';
import { reliabilitySeed } from './support/seed.ts';
import { spawnRelay, type SpawnedRelay } from './support/spawned-relay.ts';

const runs = Number(process.env.RELIABILITY_PROPERTY_RUNS ?? 1_200);
const figures = createFigures(import.meta.url);
let simulator: Simulator;
let relay: SpawnedRelay;
let stateDir: string;
const registers: Register[] = [];
const start = () => spawnRelay({ smartConnectEnvironment: simulator.baseUrl, stateDir, env: { POLL_INTERVAL_MS: '300' } });
/** A crash is a violation; a few restarts let the run show what else fails before giving up. */
const maxRestarts = 3;
const knownIds: string[] = [];

beforeAll(async () => {
  simulator = await startSimulator({ deviceResponseMs: 200, minPollIntervalMs: 0 });
  stateDir = await mkdtemp(join(tmpdir(), 'reliability-property-'));
  relay = await start();
  for (let i = 0; i < 6; i += 1) registers.push(await pairedRegister(relay, simulator));
}, 60_000);

afterAll(async () => {
  await relay?.stop();
  await simulator?.close();
  await rm(stateDir, { recursive: true, force: true });
  figures.save();
});

const routeMethods = { health: 'GET', pairing: 'PUT', create: 'POST', read: 'GET', list: 'GET', elsewhere: 'GET' } as const;
const pairingFields = ['posRegisterId', 'posRegisterName', 'posBusinessName', 'posVendorName'] as const;
const types = [
  { transactionType: 'Card.Purchase', amounts: ['amountTotal'] },
  { transactionType: 'Card.Refund', amounts: ['amountTotal'] },
  { transactionType: 'QR.Merchant.Purchase', amounts: ['amountTotal'] },
  { transactionType: 'Card.PurchasePlusCash', amounts: ['amountTotal', 'amountCash'] },
  { transactionType: 'Card.Authorise', amounts: ['amountAuth'] },
] as const;

interface Built {
  readonly outgoing: Outgoing;
  /** Wrong by construction: must not reach SmartConnect. */
  readonly invalid: boolean;
  readonly why: string[];
}

/** The concrete request for a model, and whether it is invalid by construction. */
function build(model: ModelRequest): Built {
  const why: string[] = [];
  const { target } = model;
  const method = model.method === 'route' ? routeMethods[target.route] : model.method;
  if (method !== routeMethods[target.route] || target.route === 'elsewhere') why.push(`method ${method} on ${target.route}`);

  let path: string;
  let document: Record<string, unknown> | undefined;
  const register = registers[model.pick % registers.length]!;
  switch (target.route) {
    case 'health':
      path = '/health';
      break;
    case 'pairing': {
      const code = target.code === 'fresh' ? simulator.issuePairingCode() : target.code === 'wrong-digits' ? String(10_000 + (model.pick % 90_000)) : target.garbage;
      if (target.code === 'garbage' && !/^\d{1,16}$/.test(code)) why.push('pairing code');
      path = `/pairing/${code}`;
      document = { posRegisterId: `prop-${randomUUID()}`, posRegisterName: 'Till', posBusinessName: 'Property Shop', posVendorName: 'LocalPOS' };
      break;
    }
    case 'create': {
      path = '/transactions';
      const type = types[model.pick % types.length]!;
      const cents = model.pick % 51; // 51–61 script failures; keep to approvals here
      const amount = 1_000 + (model.pick % 50) * 100 + cents;
      document = { transactionType: type.transactionType, ...register };
      for (const field of type.amounts) document[field] = field === 'amountCash' ? 500 : amount;
      break;
    }
    case 'read':
      path = `/transactions/${target.known && knownIds.length ? knownIds[model.pick % knownIds.length] : target.garbage}`;
      break;
    case 'list':
      path = `/transactions?${target.query.map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`).join('&')}`;
      break;
    case 'elsewhere':
      path = `/${target.segments.join('/')}`;
      break;
  }

  const headers: [string, string][] = [];
  const key = relay.apiKey;
  const auth = { valid: [`Bearer ${key}`], none: [], wrong: ['Bearer scr_aaaaaaaaaaaa_wrongwrongwrongwrongwrongwrongwrongwrongwro'], basic: ['Basic dXNlcjpwYXNz'], garbage: ['Bearer'], twice: [`Bearer ${key}`, `Bearer ${key}`] }[model.auth];
  for (const value of auth) headers.push(['authorization', value]);
  if (model.auth !== 'valid' && target.route !== 'health') why.push(`auth ${model.auth}`);

  const sendsBody = method === 'PUT' || method === 'POST' || method === 'PATCH';
  if (sendsBody) {
    const types = { json: ['application/json'], 'json-utf8': ['application/json; charset=utf-8'], none: [], text: ['text/plain'], form: ['application/x-www-form-urlencoded'], twice: ['application/json', 'application/json'], garbage: ['application/json, text/plain'] }[model.contentType];
    for (const value of types) headers.push(['content-type', value]);
    if (model.contentType !== 'json' && model.contentType !== 'json-utf8') why.push(`content-type ${model.contentType}`);
  }
  if (target.route === 'create') {
    const fresh = `prop-${randomUUID()}`;
    const values = { fresh: [fresh], none: [], empty: [''], long: ['k'.repeat(256)], twice: [fresh, `${fresh}-2`], list: [`${fresh}, ${fresh}-2`], control: [`${fresh}\u00e9`] }[model.idempotencyKey];
    for (const value of values) headers.push(['idempotency-key', value]);
    if (model.idempotencyKey !== 'fresh') why.push(`idempotency-key ${model.idempotencyKey}`);
  }

  let text: string | undefined;
  if (sendsBody) {
    const fields = document ? Object.keys(document) : [...pairingFields];
    const b = model.body;
    switch (b.kind) {
      case 'valid':
        text = JSON.stringify(document ?? {});
        if (!document) why.push('body for a route without one');
        break;
      case 'drop': {
        const { [fields[b.field % fields.length]!]: _dropped, ...rest } = document ?? {};
        text = JSON.stringify(rest);
        why.push('a required field missing');
        break;
      }
      case 'retype': {
        const field = fields[b.field % fields.length]!;
        const marker = '"__retyped__"';
        text = JSON.stringify({ ...document, [field]: '__retyped__' }).replace(marker, b.value);
        // A digit string is a fine name or id; it is wrong only where a number belongs.
        const stillValid = b.value === '"12"' && typeof document?.[field] === 'string';
        if (!stillValid) why.push(`${field} = ${b.value}`);
        break;
      }
      case 'unknown-field':
        text = JSON.stringify({ ...document, zzUnknownField: 1 });
        why.push('an unknown field');
        break;
      case 'json':
        text = JSON.stringify(b.value);
        why.push('arbitrary JSON');
        break;
      case 'text':
        text = b.text;
        why.push('arbitrary text');
        break;
      case 'deep':
        text = `${'{"a":'.repeat(b.depth)}1${'}'.repeat(b.depth)}`;
        why.push(`nested ${b.depth} deep`);
        break;
      case 'none':
        why.push('no body');
        break;
    }
  }
  return { outgoing: { method, path, headers, ...(text === undefined ? {} : { body: text }) }, invalid: why.length > 0, why };
}

const upstreamCalls = () => simulator.requests.filter((r) => r.route !== 'poll').length;

test(`${runs} generated requests over every route: JSON answers, no 5xx, nothing invalid reaches SmartConnect`, async () => {
  const seed = reliabilitySeed();
  const models = fc.sample(modelRequest, { seed, numRuns: runs });
  const violations: string[] = [];
  let invalidReached = 0;
  let restarts = 0;
  for (const [i, model] of models.entries()) {
    const built = build(model);
    const before = upstreamCalls();
    const answer: Answer = await send(relay.url, built.outgoing, 30_000).catch((error: Error) => ({ status: 0, headers: {}, text: String(error), json: undefined }));
    const upstream = upstreamCalls() - before;
    figures.requests += 1;
    const problems: string[] = [];
    if (answer.status === 0) problems.push(`no answer (${answer.text})`);
    if (answer.status >= 500) {
      figures.serverErrors += 1;
      problems.push(`status ${answer.status}`);
    }
    // npm start's developer pages (index, /docs, the virtual terminal) are HTML on purpose.
    const developerPage = built.outgoing.method === 'GET' && /^\/(docs(\/[^?]*)?|_device(\/[^?]*)?)?$/.test(built.outgoing.path);
    if (answer.status !== 0 && !(developerPage && answer.status === 200) && (!isJsonType(answer.headers) || answer.json === undefined)) problems.push(`not JSON: ${String(answer.headers['content-type'])}`);
    const refusedByRelay = answer.status >= 400 && answer.status < 500 && answer.json?.code !== 'smartconnect-rejected';
    if ((built.invalid || refusedByRelay) && upstream > 0) {
      invalidReached += 1;
      problems.push(`reached SmartConnect ${upstream}× (${built.why.join('; ') || `refused ${answer.status}`})`);
    }
    if (upstream > 1) problems.push(`${upstream} SmartConnect calls for one request`);
    figures.maxUpstreamPostsPerKey = Math.max(figures.maxUpstreamPostsPerKey, upstream);
    if (answer.status === 202 && typeof answer.json?.id === 'string') knownIds.push(answer.json.id);
    if (!relay.alive()) problems.push('the server died');
    if (problems.length) {
      violations.push(`#${i} ${built.outgoing.method} ${built.outgoing.path.slice(0, 80)} → ${answer.status} ${answer.text.slice(0, 120)}: ${problems.join(', ')}`);
    }
    if (!relay.alive()) {
      if (restarts === maxRestarts) break;
      restarts += 1;
      relay = await start();
    }
  }
  console.log(`property: ${figures.requests} requests (seed ${seed}), ${figures.serverErrors} 5xx, ${invalidReached} invalid reached SmartConnect, ${violations.length} violations, ${restarts} restarts after a crash`);
  expect(violations.slice(0, 15)).toEqual([]);
}, 240_000);
