import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCase } from '../src/detect/cases.js';
import { consoleLoginGeoVelocity } from '../src/detect/cloudtrail/console-login-geo-velocity.js';

/** The previous sign-in's address goes in the field of its family, as GuardDuty's remoteIpDetails does. */
const previousLogin = (name: string) => {
  const found = runCase([consoleLoginGeoVelocity], consoleLoginGeoVelocity.cases!().find((c) => c.name === name)!).map((o) => o.finding);
  assert.equal(found.length, 1);
  return found[0]!.service.additionalInfo?.previousLogin as Record<string, unknown>;
};

test('an impossible trip between IPv6 sign-ins names the previous address as ipAddressV6', () => {
  const previous = previousLogin('London, then Sydney two hours later, both over IPv6');
  assert.equal(previous.ipAddressV6, '2a00:23c4::1');
  assert.equal('ipAddressV4' in previous, false);
  assert.match(String(previous.location), /London/);
});

test('an IPv4 previous sign-in stays in ipAddressV4', () => {
  const previous = previousLogin('London, then Sydney two hours later');
  assert.equal(previous.ipAddressV4, '81.2.69.160');
  assert.equal('ipAddressV6' in previous, false);
});
