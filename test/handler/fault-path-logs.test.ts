import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import { startLocalRelay, type LocalRelay } from '../../local/local-relay.ts';
import type { Fault } from '../../local/simulator/types.ts';
import { pairRequest, validPairing } from '../support/relay-client.ts';
import { createTransaction, pairedRegister, smartConnectPolls, waitForFinal } from '../support/transactions.ts';
import { captureOutput } from '../support/captured-output.ts';

// The log scan of hardening.test.ts, on the fault paths: SmartConnect hanging, resetting, answering
// garbage or 500 at pairing, at create and at poll. Error logs there used to carry the whole HTTP
// client error: the pairing URL with its code and the form with the contact's details.
let relay: LocalRelay;
const logged: string[] = [];

beforeAll(async () => {
  captureOutput(logged);
  relay = await startLocalRelay({
    simulator: { deviceResponseMs: 200, minPollIntervalMs: 50, tokenTtlMs: 3_000 },
    env: { POLL_INTERVAL_MS: '100', POWERTOOLS_LOG_LEVEL: 'DEBUG', SMARTCONNECT_TIMEOUT_MS: '1000' },
  });
});
afterAll(async () => {
  await relay.close();
  jest.restoreAllMocks();
});

test('fault paths log status, code and timing only: no pairing code, contact fields, URLs, bodies or tokens', async () => {
  const contact = { contactName: 'Zelda Quokkafield', email: 'zelda.quokka@example.com', phone: '+61 491 570 156', address: '17 Wattlebird Lane' };
  const faults: Fault[] = [{ kind: 'hang' }, { kind: 'reset' }, { kind: 'malformed-json' }, { kind: 'status', status: 500, body: '{"error":"boom zelda.quokka@example.com"}' }];
  const codes: string[] = [];
  for (const fault of faults) {
    const code = relay.simulator!.issuePairingCode();
    codes.push(code);
    relay.simulator!.failNext('pairing', fault);
    const answer = await pairRequest(relay, code, { ...validPairing, ...contact });
    expect(answer.status).toBeGreaterThanOrEqual(500);
  }
  // The same faults at create and at poll.
  for (const fault of faults) {
    relay.simulator!.failNext('transaction', fault);
    const created = await createTransaction(relay, { transactionType: 'Card.Purchase', ...(await pairedRegister(relay)), amountTotal: 100 });
    expect(created.status).toBeGreaterThanOrEqual(200);
    relay.simulator!.failNext('poll', fault);
    const polled = await createTransaction(relay, { transactionType: 'Card.Purchase', ...(await pairedRegister(relay)), amountTotal: 100 });
    if (polled.status === 202) await waitForFinal(relay, String(polled.body.id), 15_000);
  }

  const text = logged.join('');
  expect(text).toMatch(/"level":"ERROR"/); // the fault paths did log
  for (const code of codes) expect(text).not.toContain(code);
  for (const value of Object.values(contact)) expect(text).not.toContain(value);
  expect(text).not.toMatch(/zelda|quokka|Contact(\+|%20| )Name|POSRegisterID|\/Pairing\/|https:\/\/|merchantAccessToken|PollingUrl/i);
  for (const token of new Set(smartConnectPolls(relay).map((p) => p.query.merchantAccessToken!).filter(Boolean))) expect(text).not.toContain(token);
}, 60_000);
