import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { dataset, scratchDir, tempLake } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-reader-formats-');
after(() => scratch.cleanup());

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status tcp-flags traffic-path';
const line = (changes: Record<number, string>) => {
  const fields = '2 123456789012 eni-0a1b2c3d 10.0.0.1 10.0.0.2 443 49152 6 10 840 1704067200 1704067260 ACCEPT OK 18 1'.split(' ');
  for (const [i, value] of Object.entries(changes)) fields[Number(i)] = value;
  return fields.join(' ');
};

test('flow values too large for their lake column are quarantined by field, not an internal error that stops the ingest', async () => {
  const file = path.join(scratch.dir, 'large-values.log');
  writeFileSync(file, [
    HEADER,
    line({ 0: '3000000000' }), // version
    line({ 7: '256' }), // protocol: an 8-bit number in IP
    line({ 14: '5000000000' }), // tcp-flags
    line({ 15: '99999999999' }), // traffic-path
    line({ 9: '9007199254740993' }), // bytes: a 64-bit counter above 2^53 is a value, stored exactly
    line({ 7: '50', 8: '4294967296' }), // ESP, packets above 2^32
  ].join('\n') + '\n');
  const lake = await tempLake();
  try {
    const summary = await lake.ingest([file]);
    assert.deepEqual([summary.read, summary.stored, summary.quarantined], [6, 2, 4]);
    const quarantined = await lake.rows('SELECT location, reason FROM quarantine ORDER BY source_line');
    assert.deepEqual(quarantined, [
      { location: 'line 2', reason: 'field version: not an integer (0–2147483647): 3000000000' },
      { location: 'line 3', reason: 'field protocol: not an integer (0–255): 256' },
      { location: 'line 4', reason: 'field tcp-flags: not an integer (0–2147483647): 5000000000' },
      { location: 'line 5', reason: 'field traffic-path: not an integer (0–2147483647): 99999999999' },
    ]);
    const stored = await lake.rows('SELECT connection_info_protocol_num AS protocol, traffic_packets AS packets, traffic_bytes AS bytes FROM network_activity ORDER BY source_line');
    assert.deepEqual(stored, [
      { protocol: 6, packets: 10n, bytes: 9007199254740993n },
      { protocol: 50, packets: 4294967296n, bytes: 840n },
    ]);
  } finally {
    lake.close();
  }
});

test('a Security Hub ASFF finding read as GuardDuty is refused by name, not as a finding missing its type', async () => {
  const asff = JSON.parse(readFileSync(dataset('aws_docs_format_examples/securityhub_asff/securityhub-integration_01.json'), 'utf8'));
  const file = path.join(scratch.dir, 'securityhub-get-findings.json');
  writeFileSync(file, JSON.stringify({ Findings: [asff] }));
  const lake = await tempLake();
  try {
    const summary = await lake.ingest([file], { forceType: 'guardduty' });
    assert.deepEqual([summary.read, summary.stored, summary.quarantined], [1, 0, 1]);
    const [row] = await lake.rows('SELECT location, reason FROM quarantine');
    assert.equal(row!.location, 'line 1, record 1');
    assert.match(String(row!.reason), /^a Security Hub ASFF finding, not GuardDuty finding JSON: import findings as GuardDuty writes them/);
  } finally {
    lake.close();
  }
});

test('GuardDuty sample findings are flagged in `sample`, however the export keeps the mark; real findings are not', async () => {
  const finding = (id: string, extra: { title?: string; additionalInfo?: unknown }) => ({
    schemaVersion: '2.0', accountId: '111122223333', region: 'us-east-1', id, type: 'Recon:EC2/PortProbeUnprotectedPort',
    severity: 2, createdAt: '2024-01-01T00:00:00.000Z', updatedAt: '2024-01-01T00:00:00.000Z', title: extra.title ?? 'Unprotected port on EC2 instance i-1 is being probed.',
    service: { archived: false, count: 1, additionalInfo: extra.additionalInfo ?? { value: '{}', type: 'default' } },
  });
  const file = path.join(scratch.dir, 'samples.jsonl');
  writeFileSync(file, [
    finding('boolean', { additionalInfo: { sample: true, value: '{"sample":true}', type: 'default' } }),
    finding('text', { additionalInfo: { sample: 'true' } }),
    finding('value-only', { additionalInfo: { value: '{"threatListName":"GeneratedFindingThreatListName","sample":true}', type: 'default' } }),
    finding('title-only', { title: '[SAMPLE] Unprotected port on EC2 instance i-99999999 is being probed.', additionalInfo: {} }),
    finding('real', {}),
  ].map((f) => JSON.stringify(f)).join('\n') + '\n');
  const lake = await tempLake();
  try {
    await lake.ingest([file]);
    const rows = await lake.rows('SELECT finding_uid AS id, sample FROM detection_finding ORDER BY source_line');
    assert.deepEqual(rows, [
      { id: 'boolean', sample: true }, { id: 'text', sample: true }, { id: 'value-only', sample: true },
      { id: 'title-only', sample: true }, { id: 'real', sample: false },
    ]);
  } finally {
    lake.close();
  }
});

test('Route 53 query types written as TYPE65 or as a number are stored by name; names are kept as logged', async () => {
  const query = (name: string, type: unknown, extra: Record<string, unknown> = {}) => JSON.stringify({
    version: '1.100000', account_id: '111122223333', region: 'us-east-1', vpc_id: 'vpc-1', query_timestamp: '2024-05-01T10:00:00Z',
    query_name: name, query_type: type, query_class: 'IN', rcode: 'NOERROR', answers: [], srcaddr: '10.0.0.5', srcport: '51000',
    transport: 'UDP', srcids: { instance: 'i-0abc' }, ...extra,
  });
  const file = path.join(scratch.dir, 'types.log');
  writeFileSync(file, [
    query('cdn.example.com.', 'TYPE65'),
    query('ipv6.example.com.', 28),
    query('_sip._tcp.example.com.', '33'),
    query('Mixed.EXAMPLE.com.', 'TXT'),
    query('odd.example.com.', 'TYPE65534'),
    query('xn--80ak6aa92e.com.', 'A', { srcaddr: 'fd00::5', srcids: { resolver_endpoint: 'rslvr-in-1', resolver_network_interface: 'rni-1' } }),
  ].join('\n') + '\n');
  const lake = await tempLake();
  try {
    await lake.ingest([file]);
    const rows = await lake.rows(`SELECT query_hostname AS name, query_type AS type, src_endpoint_ip AS ip, src_endpoint_instance_uid AS instance,
      dst_endpoint_instance_uid AS endpoint FROM dns_activity ORDER BY source_line`);
    assert.deepEqual(rows.map((r) => r.type), ['HTTPS', 'AAAA', 'SRV', 'TXT', 'TYPE65534', 'A']);
    assert.equal(rows[3]!.name, 'Mixed.EXAMPLE.com.');
    assert.deepEqual(rows[5], { name: 'xn--80ak6aa92e.com.', type: 'A', ip: 'fd00::5', instance: null, endpoint: 'rslvr-in-1' });
  } finally {
    lake.close();
  }
});
