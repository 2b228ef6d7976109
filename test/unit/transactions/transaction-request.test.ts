import { describe, expect, test } from '@jest/globals';
import { toTransactionForm, transactionRequest } from '#transactions/transaction-request.ts';
import { hashRequest } from '#transactions/transaction-service.ts';

const register = { posRegisterId: 'r-1', posBusinessName: 'Toys Shop', posVendorName: 'Till2Go' };

describe('transaction form', () => {
  test('is the documented literal body (docs/smartconnect.md §2.2), ASYNC always', () => {
    const request = transactionRequest.parse({ transactionType: 'Card.Purchase', ...register, amountTotal: 1250 });
    expect(toTransactionForm(request)).toBe(
      'POSRegisterID=r-1&POSBusinessName=Toys+Shop&POSVendorName=Till2Go&TransactionMode=ASYNC&TransactionType=Card.Purchase&AmountTotal=1250',
    );
  });

  test('carries pre-auth references and SaleData as a JSON string', () => {
    const saleData = { version: '1.0.0', saleData: { totalAmount: '5.00', totalTax: '0.00', lineItems: [{ productName: 'Demo', quantity: '1', unitPrice: '5.00', unitTax: '0.00', totalPrice: '5.00', totalTax: '0.00' }] } };
    const form = new URLSearchParams(toTransactionForm(transactionRequest.parse({ transactionType: 'Card.Finalise', ...register, amountFinal: 4500, transactionReference: 'preauth-77', saleData })));
    expect(form.get('AmountFinal')).toBe('4500');
    expect(form.get('TransactionReference')).toBe('preauth-77');
    expect(JSON.parse(form.get('SaleData')!)).toEqual(saleData);
    expect(form.has('saleData')).toBe(false);
  });
});

describe('transaction schema', () => {
  test.each([
    [{ transactionType: 'Card.PurchasePlusCash', amountTotal: 100, amountCash: 100 }],
    [{ transactionType: 'Card.Authorise', amountAuth: 1 }],
    [{ transactionType: 'Acquirer.Settlement.Inquiry' }],
    [{ transactionType: 'Terminal.GetStatus' }],
  ])('accepts %j', (fields) => {
    expect(transactionRequest.safeParse({ ...register, ...fields }).success).toBe(true);
  });

  test.each([
    [{ transactionType: 'Card.PurchasePlusCash', amountTotal: 100, amountCash: 101 }],
    [{ transactionType: 'Card.PurchasePlusCash', amountTotal: 100 }],
    [{ transactionType: 'Card.Purchase', amountTotal: 1e8 }],
    [{ transactionType: 'Card.Purchase', amountTotal: Number.NaN }],
    [{ transactionType: 'card.purchase', amountTotal: 1 }],
    [{ transactionType: 'Card.Purchase', amountTotal: 1, TransactionMode: 'SYNC' }],
    [{ transactionType: 'Card.Purchase', amountTotal: 1, saleData: { version: '1.0.0', saleData: { totalAmount: '1', totalTax: '0', lineItems: [{ quantity: '1' }] } } }],
  ])('refuses %j', (fields) => {
    expect(transactionRequest.safeParse({ ...register, ...fields }).success).toBe(false);
  });
});

describe('hashRequest', () => {
  test('ignores key order, not values', () => {
    const a = transactionRequest.parse({ transactionType: 'Card.Purchase', ...register, amountTotal: 100 });
    const b = transactionRequest.parse({ amountTotal: 100, posVendorName: 'Till2Go', posBusinessName: 'Toys Shop', posRegisterId: 'r-1', transactionType: 'Card.Purchase' });
    const c = transactionRequest.parse({ transactionType: 'Card.Purchase', ...register, amountTotal: 101 });
    expect(hashRequest(a)).toBe(hashRequest(b));
    expect(hashRequest(a)).not.toBe(hashRequest(c));
  });
});
