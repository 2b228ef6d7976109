import { describe, expect, test } from '@jest/globals';
import { pairingCodeSchema, pairRegisterBody } from '../../../functions/pair-register/request.ts';
import { toForm } from '#smartconnect/smartconnect-client.ts';
import { parseOrThrow } from '#http/validation.ts';
import { RelayProblem } from '#http/problem.ts';

const valid = { posRegisterId: 'reg-1', posRegisterName: 'Main Register', posBusinessName: 'Toys Shop', posVendorName: 'Till2Go' };

const fieldErrors = (input: unknown) => {
  try {
    parseOrThrow(pairRegisterBody, input);
  } catch (error) {
    expect(error).toBeInstanceOf(RelayProblem);
    return ((error as RelayProblem).extensions.errors as { field: string }[]).map((e) => e.field);
  }
  throw new Error('expected a validation error');
};

describe('pairing request schema', () => {
  test.each(['1', '48138350', '1234567890123456'])('accepts pairing code %s', (code) => {
    expect(pairingCodeSchema.parse(code)).toBe(code);
  });

  test.each(['', '12345678901234567', '1234a678', ' 1234', '１２３４', '12.4', '-1'])('refuses pairing code %j', (code) => {
    expect(pairingCodeSchema.safeParse(code).success).toBe(false);
  });

  test('accepts the four required fields and the optional contact fields', () => {
    const full = { ...valid, contactName: 'John Doe', address: '1 Queen St', city: 'Auckland', state: 'Auckland', zipCode: '1010', email: 'john@toys.example', phone: '09 1234567' };
    expect(parseOrThrow(pairRegisterBody, full)).toEqual(full);
  });

  test.each(Object.keys(valid))('requires %s', (field) => {
    const { [field as keyof typeof valid]: _omitted, ...rest } = valid;
    expect(fieldErrors(rest)).toEqual([field]);
  });

  test.each([
    ['empty', ''],
    ['whitespace only', '   '],
    ['a newline', 'Main\nRegister'],
    ['a tab', 'Main\tRegister'],
    ['a DEL', 'Main\u007f'],
    ['a C1 control', 'Main\u0085'],
    ['too long', 'x'.repeat(65)],
    ['a number', 42],
    ['null', null],
  ])('refuses a register name that is %s', (_label, value) => {
    expect(fieldErrors({ ...valid, posRegisterName: value })).toEqual(['posRegisterName']);
  });

  test('reports every bad field at once, unknown fields included', () => {
    expect(fieldErrors({ posRegisterId: '', posVendorName: 'x'.repeat(65), email: 'nope', POSRegisterID: 'r' }).sort()).toEqual(
      ['POSRegisterID', 'email', 'posBusinessName', 'posRegisterId', 'posRegisterName', 'posVendorName'].sort(),
    );
  });

  test.each([[null], ['text'], [[valid]], [7]])('refuses a body that is not an object: %j', (body) => {
    expect(fieldErrors(body)).toEqual(['body']);
  });
});

describe('SmartConnect form encoding', () => {
  test('uses SmartConnect field names, skips absent optional fields and form-encodes values', () => {
    const form = toForm(
      { a: 'Toys & Games', b: undefined, c: 'Main Register' } as { a: string; b?: string; c: string },
      { a: 'POSBusinessName', b: 'City', c: 'Contact Name' },
    );
    expect(form).toBe('POSBusinessName=Toys+%26+Games&Contact+Name=Main+Register');
    expect(Object.fromEntries(new URLSearchParams(form))).toEqual({ POSBusinessName: 'Toys & Games', 'Contact Name': 'Main Register' });
  });
});
