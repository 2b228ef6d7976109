import * as z from 'zod/mini';
import { optionalText, requiredText } from '#http/validation.ts';

export const pairingCodeSchema = z
  .string({ error: 'is required' })
  .check(z.regex(/^[0-9]{1,16}$/, { error: 'must be the 1 to 16 digits shown on the terminal' }));

/** Body of `PUT /pairing/{pairingCode}`; the same schema validates, types and documents it. */
export const pairRegisterBody = z.strictObject({
  posRegisterId: requiredText(64, 'Your stable, unique id for this register; send the same value on every transaction.'),
  posRegisterName: requiredText(64, 'Shown on the terminal so staff can see which register it is paired to.'),
  posBusinessName: requiredText(100, 'The store trading name; must match on every transaction.'),
  posVendorName: requiredText(64, 'Your POS product name; must match on every transaction.'),
  contactName: optionalText(100),
  address: optionalText(200),
  city: optionalText(100),
  state: optionalText(100),
  zipCode: optionalText(20),
  email: z.optional(z.email({ error: 'must be an email address' }).check(z.maxLength(254))),
  phone: optionalText(32),
});

export type PairRegisterBody = z.infer<typeof pairRegisterBody>;
