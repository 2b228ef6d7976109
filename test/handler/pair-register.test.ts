import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import type { Simulator } from '../../local/simulator/index.ts';
import { authorization, call, expectProblem, pairRequest, validPairing } from '../support/relay-client.ts';

const timeoutMs = 1_500;
let relay: LocalRelay;
let sim: Simulator;

beforeAll(async () => {
  relay = await startLocalRelay({ env: { SMARTCONNECT_TIMEOUT_MS: String(timeoutMs), POWERTOOLS_LOG_LEVEL: 'SILENT' } });
  sim = relay.simulator!;
});
afterAll(() => relay.close());
beforeEach(() => sim.clearRequests());

describe('PUT /pairing/{pairingCode}', () => {
  test('pairs the register and relays exactly the documented SmartConnect request', async () => {
    const code = sim.issuePairingCode();
    const answer = await pairRequest(relay, code);

    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
    expect(answer.body).toMatchObject({ status: 'paired', ...validPairing });
    expect(sim.requests).toHaveLength(1);
    const [sent] = sim.requests;
    expect(sent!.method).toBe('PUT');
    expect(sent!.path).toBe(`/POS/Pairing/${code}`);
    expect(sent!.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=UTF-8');
    expect(sent!.form).toEqual({
      POSRegisterID: validPairing.posRegisterId,
      POSRegisterName: validPairing.posRegisterName,
      POSBusinessName: validPairing.posBusinessName,
      POSVendorName: validPairing.posVendorName,
    });
    expect(sim.pairings()).toContainEqual(
      expect.objectContaining({ posRegisterId: validPairing.posRegisterId, posBusinessName: 'Toys Shop', posVendorName: 'Till2Go' }),
    );
  });

  test('sends the optional contact fields under SmartConnect names', async () => {
    const code = sim.issuePairingCode();
    const contact = { contactName: 'John Doe', address: '1 Queen St', city: 'Auckland', state: 'Auckland', zipCode: '1010', email: 'john@toys.example', phone: '09 1234567' };
    const answer = await pairRequest(relay, code, { ...validPairing, contactName: contact.contactName, address: contact.address, city: contact.city, state: contact.state, zipCode: contact.zipCode, email: contact.email, phone: contact.phone });
    expect(answer.status).toBe(200);
    expect(sim.requests[0]!.form).toMatchObject({
      'Contact Name': 'John Doe',
      Address: '1 Queen St',
      City: 'Auckland',
      State: 'Auckland',
      ZipCode: '1010',
      Email: 'john@toys.example',
      Phone: '09 1234567',
    });
  });

  test('answers with security headers', async () => {
    const answer = await pairRequest(relay, sim.issuePairingCode());
    expect(answer.headers.get('x-content-type-options')).toBe('nosniff');
    expect(answer.headers.get('strict-transport-security')).toMatch(/max-age=/);
  });
});

describe('bad input answers 4xx JSON and never reaches SmartConnect', () => {
  const bad: [string, string, unknown, Record<string, string>?][] = [
    ['letters in the code', '12ab5678', validPairing],
    ['a 17-digit code', '12345678901234567', validPairing],
    ['a code with a space', '1234%205678', validPairing],
    ['a missing register id', '12345678', { ...validPairing, posRegisterId: undefined }],
    ['an empty business name', '12345678', { ...validPairing, posBusinessName: '' }],
    ['a blank vendor name', '12345678', { ...validPairing, posVendorName: '   ' }],
    ['a newline in the register name', '12345678', { ...validPairing, posRegisterName: 'Main\r\nRegister' }],
    ['an overlong register id', '12345678', { ...validPairing, posRegisterId: 'r'.repeat(65) }],
    ['a numeric register id', '12345678', { ...validPairing, posRegisterId: 1234 }],
    ['an unknown field', '12345678', { ...validPairing, POSRegisterID: 'x' }],
    ['a bad email', '12345678', { ...validPairing, email: 'not-an-email' }],
    ['a JSON array body', '12345678', [validPairing]],
    ['a JSON string body', '12345678', '"text"'],
  ];
  test.each(bad)('%s → 400 invalid-request', async (_label, code, body) => {
    const answer = await pairRequest(relay, code, body);
    expectProblem(answer, 400, 'invalid-request');
    expect(answer.body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ field: expect.any(String), message: expect.any(String) })]));
    expect(sim.requests).toHaveLength(0);
  });

  test('malformed JSON → 400 malformed-json', async () => {
    expectProblem(await pairRequest(relay, '12345678', '{"posRegisterId":'), 400, 'malformed-json');
    expect(sim.requests).toHaveLength(0);
  });

  test('no body → 400', async () => {
    const answer = await call(`${relay.url}/pairing/12345678`, { method: 'PUT', headers: { 'content-type': 'application/json', ...authorization(relay) } });
    expect(answer.status).toBe(400);
    expect(sim.requests).toHaveLength(0);
  });

  test('a form-encoded body → 415 unsupported-media-type', async () => {
    const answer = await pairRequest(relay, '12345678', 'POSRegisterID=x', { 'content-type': 'application/x-www-form-urlencoded' });
    expectProblem(answer, 415, 'unsupported-media-type');
    expect(sim.requests).toHaveLength(0);
  });

  test('a prototype-pollution key is refused', async () => {
    const answer = await pairRequest(relay, '12345678', `{"__proto__":{"x":1},${JSON.stringify(validPairing).slice(1)}`);
    expect(answer.status).toBeGreaterThanOrEqual(400);
    expect(answer.status).toBeLessThan(500);
    expect(sim.requests).toHaveLength(0);
  });

  test('an unknown route → 404 route-not-found', async () => {
    expectProblem(await call(`${relay.url}/pairing/12345678`, { method: 'POST' }), 404, 'route-not-found');
    expectProblem(await call(`${relay.url}/nowhere`), 404, 'route-not-found');
  });
});

describe('SmartConnect refusals pass through with their words', () => {
  test('an unknown pairing code → 400 with SmartConnect message', async () => {
    const answer = await pairRequest(relay, '99999999');
    expectProblem(answer, 400, 'smartconnect-rejected');
    expect(answer.body.detail).toBe('Invalid Pairing Code. Please make sure you entered the code correctly');
    expect(answer.body.smartConnectStatus).toBe(400);
    expect(sim.requests).toHaveLength(1);
  });

  test('a code works once', async () => {
    const code = sim.issuePairingCode();
    expect((await pairRequest(relay, code)).status).toBe(200);
    expectProblem(await pairRequest(relay, code), 400, 'smartconnect-rejected');
  });

  test('a 429 keeps its status and Retry-After', async () => {
    sim.failNext('pairing', { kind: 'status', status: 429, body: '{"error":"device is busy"}', headers: { 'content-type': 'application/json', 'retry-after': '3' } });
    const answer = await pairRequest(relay, sim.issuePairingCode());
    expectProblem(answer, 429, 'smartconnect-rejected');
    expect(answer.body.detail).toBe('device is busy');
    expect(answer.headers.get('retry-after')).toBe('3');
  });

  test('a 404 without a body says the environment may be wrong', async () => {
    sim.failNext('pairing', { kind: 'status', status: 404 });
    const answer = await pairRequest(relay, sim.issuePairingCode());
    expectProblem(answer, 404, 'smartconnect-rejected');
    expect(answer.body.detail).toMatch(/environment may be wrong/);
  });
});

describe('upstream faults answer 502/504 in bounded time, and are never resent', () => {
  test.each([
    ['a 500 without body', { kind: 'status', status: 500 } as const],
    ['a 503 with HTML', { kind: 'status', status: 503, body: '<html>down</html>', headers: { 'content-type': 'text/html' } } as const],
    ['a 200 that is not JSON', { kind: 'malformed-json' } as const],
    ['a 200 JSON without success', { kind: 'status', status: 200, body: '{"result":"pending"}', headers: { 'content-type': 'application/json' } } as const],
    ['a connection reset after the request was sent', { kind: 'reset' } as const],
    ['a redirect', { kind: 'redirect', location: 'https://127.0.0.1:1/elsewhere' } as const],
  ])('%s → 502 smartconnect-unavailable, sent once', async (_label, fault) => {
    sim.failNext('pairing', fault);
    const answer = await pairRequest(relay, sim.issuePairingCode());
    expectProblem(answer, 502, 'smartconnect-unavailable');
    expect(sim.requests).toHaveLength(1);
  });

  test('no answer in time → 504 smartconnect-timeout shortly after the deadline, sent once', async () => {
    sim.failNext('pairing', { kind: 'hang' });
    const answer = await pairRequest(relay, sim.issuePairingCode());
    expectProblem(answer, 504, 'smartconnect-timeout');
    expect(answer.elapsedMs).toBeGreaterThanOrEqual(timeoutMs - 50);
    expect(answer.elapsedMs).toBeLessThan(timeoutMs + 1_000);
    expect(sim.requests).toHaveLength(1);
  });

  test('a slow answer inside the deadline still succeeds', async () => {
    sim.failNext('pairing', { kind: 'delay', ms: 300 });
    expect((await pairRequest(relay, sim.issuePairingCode())).status).toBe(200);
  });
});
