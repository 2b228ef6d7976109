import { describe, expect, test } from '@jest/globals';
import { checkEnvironment, officialEnvironments } from '#smartconnect/environment-guard.ts';

describe('checkEnvironment', () => {
  test.each([
    ['prod', 'https://api.smart-connect.cloud/POS', 'https://api.smart-connect.cloud/POS'],
    ['prod', 'https://API.smart-connect.cloud/POS/', 'https://api.smart-connect.cloud/POS'],
    ['dev', 'https://api-dev.smart-connect.cloud/POS', 'https://api-dev.smart-connect.cloud/POS'],
    ['dev', 'https://127.0.0.1:8443/POS', 'https://127.0.0.1:8443/POS'],
    ['dev', ' https://simulator.example.test/POS// ', 'https://simulator.example.test/POS'],
  ])('%s accepts %s as %s', (stage, value, baseUrl) => {
    expect(checkEnvironment(stage, value)).toEqual({ ok: true, baseUrl });
  });

  test.each([
    ['prod', officialEnvironments.dev, /only talks to https:\/\/api\.smart-connect\.cloud\/POS/],
    ['prod', 'https://127.0.0.1:8443/POS', /only talks to/],
    ['prod', 'https://api.smart-connect.cloud/pos', /only talks to/],
    ['prod', 'https://api.smart-connect.cloud:444/POS', /only talks to/],
    ['prod', 'http://api.smart-connect.cloud/POS', /must use https/],
    ['dev', officialEnvironments.prod, /must not use SmartConnect production/],
    ['dev', 'https://api.smart-connect.cloud./POS', /must not use SmartConnect production/],
    ['dev', 'https://API.SMART-CONNECT.CLOUD/other', /must not use SmartConnect production/],
    ['dev', 'http://api-dev.smart-connect.cloud/POS', /must use https/],
    ['dev', 'ftp://api-dev.smart-connect.cloud/POS', /must use https/],
    ['dev', 'https://user:pw@api-dev.smart-connect.cloud/POS', /credentials, a query string or a fragment/],
    ['dev', 'https://api-dev.smart-connect.cloud/POS?x=1', /credentials, a query string or a fragment/],
    ['dev', 'not a url', /not a URL/],
    ['dev', '', /not a URL/],
    ['staging', officialEnvironments.dev, /Unknown stage "staging"/],
    ['', officialEnvironments.dev, /Unknown stage/],
  ])('%s refuses %s', (stage, value, reason) => {
    const check = checkEnvironment(stage, value);
    expect(check.ok).toBe(false);
    expect(check.ok ? '' : check.reason).toMatch(reason);
  });
});
