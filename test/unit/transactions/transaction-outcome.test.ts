import { describe, expect, test } from '@jest/globals';
import { interpretPoll, maskPan, outcomeOf } from '#transactions/transaction-outcome.ts';

describe('outcomeOf (docs/smartconnect.md §4.3)', () => {
  test.each([
    ['OK-ACCEPTED', 'OK', 'APPROVED'],
    ['OK-DECLINED', 'OK', 'DECLINED'],
    ['CANCELLED', 'CANCELLED', 'CANCELLED'],
    ['CANCELLED', 'OK', 'CANCELLED'],
    ['CANCELLED', 'FAILED-INTERFACE', 'DEVICE_OFFLINE'],
    ['OK-UNAVAILABLE', 'FAILED', 'UNAVAILABLE'],
    ['FAILED', 'FAILED', 'FAILED'],
    ['FAILED-INTERFACE', 'FAILED-INTERFACE', 'FAILED'],
    ['SOMETHING-NEW', 'OK', 'FAILED'],
    // Contradictions are reconciled by a person, never reported as a failure.
    ['OK-ACCEPTED', 'FAILED', 'UNKNOWN'],
    ['OK-ACCEPTED', undefined, 'UNKNOWN'],
    ['OK-DECLINED', 'CANCELLED', 'UNKNOWN'],
    // Non-financial functions report only whether they ran.
    [undefined, 'OK', 'APPROVED'],
    [undefined, 'FAILED', 'FAILED'],
    [undefined, undefined, 'UNKNOWN'],
  ])('%s / %s → %s', (transactionResult, result, outcome) => {
    expect(outcomeOf(transactionResult, result)).toBe(outcome);
  });
});

describe('interpretPoll', () => {
  test.each([
    [{ transactionStatus: 'PENDING', data: {} }],
    [{ transactionStatus: 'PENDING', data: { TransactionResult: '', Result: '' } }],
    [{ transactionStatus: 'PENDING' }],
  ])('a plain PENDING in any of its live shapes: %j', (body) => {
    expect(interpretPoll(body)).toEqual({ status: 'PENDING' });
  });

  test('OK-DELAYED while pending is DELAYED', () => {
    expect(interpretPoll({ transactionStatus: 'PENDING', data: { TransactionResult: 'OK-DELAYED', Result: 'DELAYED-TRANSACTION' } })).toEqual({ status: 'DELAYED' });
  });

  test('the documented completed example becomes the relay result, amounts as numbers', () => {
    const seen = interpretPoll({
      transactionId: 'f363c7de-102c-4d80-a902-ed37413ca599',
      deviceId: '7070714000',
      transactionStatus: 'COMPLETED',
      data: {
        AmountTotal: '615', AmountSurcharge: '15', AmountTip: '100', TransactionResult: 'OK-ACCEPTED', Result: 'OK',
        AuthId: 'PIN147', AcquirerRef: '000013', TerminalRef: '79707014', CardPan: '....0138', CardType: 'EMV TEST CARD',
        AccountType: 'CREDIT', Timestamp: '20180919115520', Receipt: 'TOTAL NZ$ 6.15\n', PollingUrl: 'https://x/pos/transaction/1?merchantAccessToken=secret',
      },
    });
    expect(seen).toEqual({
      status: 'COMPLETED',
      outcome: 'APPROVED',
      result: {
        amountTotal: 615, amountSurcharge: 15, amountTip: 100, transactionResult: 'OK-ACCEPTED', result: 'OK', authId: 'PIN147',
        acquirerRef: '000013', terminalRef: '79707014', cardPan: '....0138', cardType: 'EMV TEST CARD', accountType: 'CREDIT',
        deviceTimestamp: '20180919115520', receipt: 'TOTAL NZ$ 6.15\n', smartConnectTransactionId: 'f363c7de-102c-4d80-a902-ed37413ca599', deviceId: '7070714000',
      },
    });
    expect(JSON.stringify(seen)).not.toContain('secret');
  });

  test('amounts that are not whole cents are left out rather than guessed', () => {
    const seen = interpretPoll({ transactionStatus: 'COMPLETED', data: { AmountTotal: '6.15', TransactionResult: 'OK-ACCEPTED', Result: 'OK' } });
    expect(seen.status === 'COMPLETED' && seen.result.amountTotal).toBe(undefined);
  });
});

describe('maskPan', () => {
  test.each([
    ['....0138', '....0138'],
    ['4111111111111111', '....1111'],
    ['4111 1111 1111 1111', '....1111'],
    ['', undefined],
    ['....', undefined],
  ])('%j → %j', (pan, masked) => {
    expect(maskPan(pan)).toBe(masked);
  });
});
