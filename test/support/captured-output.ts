import { jest } from '@jest/globals';

/**
 * Sends everything this process writes to stdout and stderr into `into` instead, for tests that
 * scan the logs. Call it before the relay starts: the logger binds its streams when it is built.
 * `jest.restoreAllMocks()` undoes it.
 */
export function captureOutput(into: string[]): void {
  const capture = (chunk: unknown) => {
    into.push(String(chunk));
    return true;
  };
  jest.spyOn(process.stdout, 'write').mockImplementation(capture);
  jest.spyOn(process.stderr, 'write').mockImplementation(capture);
}
