import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCase, typesRaised } from '../src/detect/cases.js';
import type { NetworkCase } from '../src/detect/detection.js';
import { connectionLines, everyMinute } from '../src/detect/network/flow-case-builders.js';
import { tor } from '../src/detect/network/tor.js';

/** Exits are relays too (onionoo lists their OR addresses); the middles here are not exits. */
const EXITS = ['185.220.101.33', '185.220.101.34', '185.220.101.35', '109.70.100.4', '109.70.100.5', '109.70.100.6'];
const MIDDLES = ['94.23.1.1', '94.23.1.2', '94.23.1.3', '94.23.1.4', '94.23.1.5', '94.23.1.6'];
const intel = { torRelays: [...MIDDLES, ...EXITS], torExits: EXITS };
const run = (flows: string[]) => {
  const networkCase: NetworkCase = { name: 'test', expect: [], intel, flows };
  return runCase([tor], networkCase);
};
const types = (flows: string[]) => typesRaised(run(flows));

/** An hour in which the instance's Tor client bootstraps: six relays (fallback directories, then guards). */
const bootstrap = everyMinute('2026-11-02T14:00:30Z', 6, (time, i) => connectionLines({ remote: MIDDLES[i]!, opener: 'instance', port: i < 3 ? 443 : 9001, time }));

test('a public web site popular with Tor users, on a host that also runs a Tor client, is no Tor relay', () => {
  const visitors = everyMinute('2026-11-02T14:00:00Z', 30, (time, i) => connectionLines({ remote: EXITS[i % EXITS.length]!, opener: 'remote', port: 443, time, bytesDown: 90_000 }));
  assert.deepEqual(types([...visitors, ...bootstrap]), ['UnauthorizedAccess:EC2/TorClient']);
});

test('the same host relaying circuits from middle relays on its ORPort is a Tor relay', () => {
  const circuits = everyMinute('2026-11-02T14:00:00Z', 5, (time, i) => connectionLines({ remote: MIDDLES[i]!, opener: 'remote', port: 9001, time, seconds: 600, bytesUp: 2_000_000 }));
  assert.deepEqual(types([...circuits, ...bootstrap]), ['UnauthorizedAccess:EC2/TorClient', 'UnauthorizedAccess:EC2/TorRelay']);
});

test('a Tor client reaching a guard whose ORPort is 50001 from port 45000, logged without TCP flags (v2), is a Tor client', () => {
  const v2 = (line: string) => line.split(' ').slice(0, 17).join(' ') + ' - -';
  const flows = connectionLines({ remote: MIDDLES[0]!, opener: 'instance', port: 50001, clientPort: 45000, time: '2026-11-02T09:00:00Z', withDirection: false }).map(v2);
  assert.deepEqual(types(flows), ['UnauthorizedAccess:EC2/TorClient']);
});

test('a Tor user on a FreeBSD exit (source port 15000) visiting the instance’s app on 8080, logged by v2, is no Tor client', () => {
  const v2 = (line: string) => line.split(' ').slice(0, 17).join(' ') + ' - -';
  const flows = connectionLines({ remote: EXITS[0]!, opener: 'remote', port: 8080, clientPort: 15000, time: '2026-11-02T09:00:00Z', withDirection: false }).map(v2);
  assert.deepEqual(types(flows), []);
});
