import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/** A DynamoDB condition that did not hold: an expected answer (key taken, state moved on), not a fault. */
export const isConditionFailure = (error: unknown): boolean =>
  error instanceof ConditionalCheckFailedException || (error as Error | undefined)?.name === 'ConditionalCheckFailedException';
