import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import type { NetworkCase } from '../src/detect/detection.js';
import { connectionLines } from '../src/detect/network/flow-case-builders.js';
import { flowThreatIntel } from '../src/detect/network/flow-threat-intel.js';

/** A residential address on a C&C feed (a QakBot tier-1 proxy is an infected home computer) and on a custom list. */
const HOME = '73.158.20.41';
const intel = {
  threatIps: [
    { ip: HOME, listName: 'Feodo', custom: false, threatName: 'CommandAndControl' },
    { ip: HOME, listName: 'soc-iocs' },
  ],
};
const raised = (opener: 'instance' | 'remote') => {
  const networkCase: NetworkCase = { name: 'test', expect: [], intel, flows: connectionLines({ remote: HOME, opener, port: 443, time: '2026-11-02T09:00:00Z' }) };
  return runCase([flowThreatIntel], networkCase).map((o) => [o.finding.type, o.finding.service.resourceRole]);
};

test('a listed home computer visiting the instance’s web site is no C&C activity; the custom list still reports it (TARGET)', () => {
  assert.deepEqual(raised('remote'), [['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', 'TARGET']]);
});

test('the instance connecting to it is C&C activity (ACTOR) and a custom-list match', () => {
  assert.deepEqual(raised('instance').sort(), [['Backdoor:EC2/C&CActivity.B', 'ACTOR'], ['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', 'ACTOR']]);
});

test('listed addresses reaching a NAT gateway’s interface (ACCEPTed, never answered) are no communication', () => {
  const unanswered = connectionLines({ remote: HOME, opener: 'remote', port: 22, time: '2026-11-02T09:00:00Z', local: '10.0.0.100', instance: null, eni: 'eni-0nat00000000001c' }).slice(0, 1);
  const networkCase: NetworkCase = { name: 'test', expect: [], intel, flows: unanswered };
  assert.deepEqual(runCase([flowThreatIntel], networkCase), []);
});

test('a listed home computer (source port 15000) using the instance’s app on 8080, logged by v2, is no C&C activity', () => {
  const v2 = (line: string) => line.split(' ').slice(0, 17).join(' ') + ' - -';
  const flows = connectionLines({ remote: HOME, opener: 'remote', port: 8080, clientPort: 15000, time: '2026-11-02T09:00:00Z', withDirection: false }).map(v2);
  const networkCase: NetworkCase = { name: 'test', expect: [], intel, flows };
  assert.deepEqual(runCase([flowThreatIntel], networkCase).map((o) => [o.finding.type, o.finding.service.resourceRole]), [['UnauthorizedAccess:EC2/MaliciousIPCaller.Custom', 'TARGET']]);
});
