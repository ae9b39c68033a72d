import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { CloudTrailRecord } from '../detect/detection.js';
import { FLOW_CASE_HEADER } from '../detect/network-records.js';
import type { StaticIntelSpec } from '../intel/static.js';
import { UserError } from '../sources/input.js';
import { AWS_PREFIXES, generateCloudTrail, generateDnsLogs, generateFlowLogs } from './background.js';
import { caseScenarios } from './case-scenarios.js';
import { INCIDENTS } from './incidents.js';
import { mergeIntel } from './intel.js';
import type { PlacedScenario, Scenario } from './scenario.js';

export interface SimulateOptions {
  outDir: string;
  seed: number;
  /** Days of background history before the attacks, so baselines have something to learn. */
  days: number;
  accounts: number;
  /** Background records over all sources (CloudTrail, flow, DNS). */
  events: number;
  /** Scenario ids or id prefixes (`incident/`, a detection id); empty with `all` false: the incidents only. */
  scenarios: string[];
  all: boolean;
  /** End of the simulated period (default: the start of today, UTC, so a seed gives the same files all day). */
  end?: Date;
}

export interface SimulateResult {
  outDir: string;
  start: string;
  end: string;
  accounts: string[];
  background: { cloudtrail: number; flows: number; dns: number; files: number };
  scenarios: PlacedScenario[];
}

/** Every scenario the simulator knows: hand-written incidents first, then one per positive detection case. */
export function allScenarios(): Scenario[] {
  return [...INCIDENTS, ...caseScenarios()];
}

function selectScenarios(ids: string[], all: boolean): Scenario[] {
  const every = allScenarios();
  if (all) return every;
  if (ids.length === 0) return every.filter((s) => s.origin === 'incident');
  const chosen = every.filter((s) => ids.some((id) => s.id === id || s.id.startsWith(id.endsWith('/') ? id : `${id}/`)));
  const unknown = ids.filter((id) => !every.some((s) => s.id === id || s.id.startsWith(id.endsWith('/') ? id : `${id}/`)));
  if (unknown.length) throw new UserError(`unknown scenario ${unknown.join(', ')}; 'gumshoe simulate --list' shows them`);
  return chosen;
}

/** Twelve-digit account ids derived from the seed; the first is the organisation's management account. */
function accountIds(seed: number, count: number, label = 'organisation'): string[] {
  return Array.from({ length: count }, (_, i) => {
    const digits = BigInt(`0x${createHash('sha256').update(`${seed}:${label}:${i}`).digest('hex').slice(0, 15)}`) % 900_000_000_000n;
    return String(100_000_000_000n + digits);
  });
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function startOfToday(): Date {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

// ─── placing a scenario in time ───

function recordTimes(scenario: Scenario): number[] {
  return [
    ...scenario.records.map((r) => Date.parse(String(r.eventTime ?? r['@timestamp']))),
    ...scenario.flows.map((line) => Number(line.split(' ')[FLOW_START]) * 1000),
    ...scenario.dns.map((q) => Date.parse(String(q.query_timestamp))),
  ].filter((t) => Number.isFinite(t));
}

const FLOW_FIELDS = FLOW_CASE_HEADER.split(' ');
const FLOW_START = FLOW_FIELDS.indexOf('start');
const FLOW_END = FLOW_FIELDS.indexOf('end');
const isoSeconds = (ms: number) => `${new Date(ms).toISOString().slice(0, 19)}Z`;

/** The scenario's events moved by `shift` ms, keeping their spacing. */
function shifted(scenario: Scenario, shift: number): Scenario {
  const moveIso = (value: unknown) => (typeof value === 'string' && Number.isFinite(Date.parse(value)) ? isoSeconds(Date.parse(value) + shift) : value);
  return {
    ...scenario,
    records: scenario.records.map((r) => {
      const moved: CloudTrailRecord = { ...r, eventTime: moveIso(r.eventTime ?? r['@timestamp']) };
      if ('@timestamp' in r) moved['@timestamp'] = moveIso(r['@timestamp']);
      return moved;
    }),
    flows: scenario.flows.map((line) => {
      const parts = line.split(' ');
      for (const index of [FLOW_START, FLOW_END]) parts[index] = String(Number(parts[index]) + Math.round(shift / 1000));
      return parts.join(' ');
    }),
    dns: scenario.dns.map((q) => ({ ...q, query_timestamp: moveIso(q.query_timestamp) })),
  };
}

/** A UUID-shaped event id, unique to the scenario and the record's position in it. */
function eventId(scenarioId: string, index: number): string {
  const hex = createHash('sha256').update(`${scenarioId}\u0000${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * The scenario moved into accounts and instances of its own: every account, instance and network interface id
 * its events name is replaced by one derived from the scenario, so scenarios built from the same case
 * identities do not share principals, baselines or attack sequences, as separate incidents would not. Event ids are made unique too:
 * test events reuse ids like "1", and the lake keeps one event per id.
 */
function isolated(scenario: Scenario, seed: number): Scenario {
  const accounts = new Set<string>();
  const collect = (value: unknown) => {
    if (typeof value === 'string' && /^\d{12}$/.test(value)) accounts.add(value);
  };
  for (const r of scenario.records) {
    collect(r.recipientAccountId);
    collect((r.userIdentity as Record<string, unknown> | undefined)?.accountId);
  }
  for (const line of scenario.flows) collect(line.split(' ')[FLOW_FIELDS.indexOf('account-id')]);
  for (const q of scenario.dns) collect(q.account_id);
  const records = scenario.records.map((r, index) => ({ ...r, eventID: eventId(scenario.id, index) }));
  // Instance and interface ids are global in AWS, and detections key their baselines by them.
  const text = [...records.map((r) => JSON.stringify(r)), ...scenario.flows, ...scenario.dns.map((q) => JSON.stringify(q))].join('\n');
  const resources = new Set(text.match(/\b(?:i|eni)-[0-9a-f]{8,17}\b/g) ?? []);
  const hash = (value: string) => createHash('sha256').update(`${seed}:${scenario.id}:${value}`).digest('hex');
  const mapping = new Map<string, string>([
    ...[...accounts].map((account) => [account, accountIds(seed, 1, `${scenario.id}:${account}`)[0]!] as const),
    ...[...resources].map((id) => [id, `${id.slice(0, id.indexOf('-') + 1)}${hash(id).slice(0, 17)}`] as const),
  ]);
  if (mapping.size === 0) return { ...scenario, records };
  const pattern = new RegExp([...mapping.keys()].map((key) => `\\b${key}\\b`).join('|'), 'g');
  const remap = (value: string) => value.replace(pattern, (found) => mapping.get(found)!);
  return {
    ...scenario,
    records: records.map((r) => JSON.parse(remap(JSON.stringify(r))) as CloudTrailRecord),
    flows: scenario.flows.map(remap),
    dns: scenario.dns.map((q) => JSON.parse(remap(JSON.stringify(q))) as Record<string, unknown>),
  };
}

// ─── writing a scenario's files in AWS's layout ───

const dateFolders = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '/');
const stamp = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replaceAll('-', '').replace(':', '')}Z`;
/** The 16-character suffix AWS puts in file names, here a hash of the scenario id so files are recognisable. */
const suffix = (id: string, part: string) => createHash('sha256').update(`${id}\u0000${part}`).digest('base64url').replace(/[-_]/g, 'x').slice(0, 16);

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const group = groups.get(k);
    if (group) group.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

async function writeGz(outDir: string, relative: string, text: string): Promise<string> {
  const file = path.join(outDir, relative);
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, gzipSync(text));
  return relative;
}

/** How long after its last event the simulator has AWS deliver a scenario's file (typically about 5 minutes). */
const DELIVERY_DELAY = 5 * 60_000;

/**
 * Items as AWS delivers them: one file per group (account, region, VPC) and hour of event time, delivered a
 * little after its last event, so a scenario's weeks of history land in their own days' files rather than in
 * the attack's, and a daily or hourly run over the S3 layout reads each event when its day or hour comes.
 */
function deliveries<T>(items: T[], group: (item: T) => string, time: (item: T) => number): { group: string; part: string; items: T[]; delivered: number }[] {
  const files = groupBy(items, (item) => `${group(item)}|${Math.floor(time(item) / HOUR)}`);
  return [...files].map(([part, grouped]) => ({
    group: part.slice(0, part.lastIndexOf('|')),
    part,
    items: grouped,
    delivered: Math.max(...grouped.map(time)) + DELIVERY_DELAY,
  }));
}

async function writeScenarioFiles(outDir: string, scenario: Scenario, defaultAccount: string): Promise<string[]> {
  const files: string[] = [];
  const trailOf = (r: CloudTrailRecord) => `${String(r.recipientAccountId ?? defaultAccount)}|${String(r.awsRegion ?? 'us-east-1')}`;
  for (const { group, part, items, delivered } of deliveries(scenario.records, trailOf, (r) => Date.parse(String(r.eventTime)))) {
    const [account, region] = group.split('|') as [string, string];
    const key = `AWSLogs/${account}/CloudTrail/${region}/${dateFolders(delivered)}/${account}_CloudTrail_${region}_${stamp(delivered)}_${suffix(scenario.id, part)}.json.gz`;
    files.push(await writeGz(outDir, key, JSON.stringify({ Records: items })));
  }
  const flowAccount = (line: string) => line.split(' ')[FLOW_FIELDS.indexOf('account-id')] ?? defaultAccount;
  for (const { group: account, part, items, delivered } of deliveries(scenario.flows, flowAccount, (line) => Number(line.split(' ')[FLOW_END]) * 1000)) {
    const key = `AWSLogs/${account}/vpcflowlogs/us-east-1/${dateFolders(delivered)}/${account}_vpcflowlogs_us-east-1_fl-${suffix(scenario.id, 'fl').toLowerCase()}_${stamp(delivered)}_${suffix(scenario.id, part)}.log.gz`;
    files.push(await writeGz(outDir, key, `${FLOW_CASE_HEADER}\n${items.join('\n')}\n`));
  }
  const vpcOf = (q: Record<string, unknown>) => `${String(q.account_id ?? defaultAccount)}|${String(q.vpc_id ?? 'vpc-unknown')}`;
  for (const { group, part, items, delivered } of deliveries(scenario.dns, vpcOf, (q) => Date.parse(String(q.query_timestamp)))) {
    const [account, vpc] = group.split('|') as [string, string];
    const key = `AWSLogs/${account}/vpcdnsquerylogs/${vpc}/${dateFolders(delivered)}/${vpc}_vpcdnsquerylogs_${stamp(delivered)}_${suffix(scenario.id, part)}.log.gz`;
    files.push(await writeGz(outDir, key, `${items.map((q) => JSON.stringify(q)).join('\n')}\n`));
  }
  return files;
}

/** The scenarios' uploaded threat lists (not managed feeds), by list name. */
function customLists(intel: StaticIntelSpec): Map<string, string[]> {
  const lists = new Map<string, string[]>();
  const add = (name: string | undefined, entry: string) => lists.set(name ?? 'TestThreatList', [...(lists.get(name ?? 'TestThreatList') ?? []), entry]);
  for (const t of intel.threatIps ?? []) if (t.custom ?? true) add(t.listName, t.ip);
  for (const d of intel.threatDomains ?? []) {
    if (typeof d === 'string') add(undefined, d);
    else if (d.custom ?? true) add(d.listName, d.domain);
  }
  return lists;
}

/** What a scenario's events name, for the manifest and for people reading it. */
function entitiesOf(scenario: Scenario): Record<string, string[]> {
  const sets: Record<string, Set<string>> = { principals: new Set(), accessKeys: new Set(), ips: new Set(), instances: new Set(), buckets: new Set(), domains: new Set() };
  for (const r of scenario.records) {
    const who = (r.userIdentity ?? {}) as Record<string, unknown>;
    if (typeof who.arn === 'string') sets.principals!.add(who.arn);
    if (typeof who.accessKeyId === 'string' && who.accessKeyId) sets.accessKeys!.add(who.accessKeyId);
    if (typeof r.sourceIPAddress === 'string' && /^[\d.:a-f]+$/i.test(r.sourceIPAddress)) sets.ips!.add(r.sourceIPAddress);
    const bucket = (r.requestParameters as Record<string, unknown> | null)?.bucketName;
    if (typeof bucket === 'string') sets.buckets!.add(bucket);
  }
  for (const line of scenario.flows) {
    const parts = line.split(' ');
    const instance = parts[FLOW_FIELDS.indexOf('instance-id')];
    if (instance && instance !== '-') sets.instances!.add(instance);
    for (const name of ['srcaddr', 'dstaddr']) sets.ips!.add(parts[FLOW_FIELDS.indexOf(name)]!);
  }
  for (const q of scenario.dns) {
    sets.domains!.add(String(q.query_name).replace(/\.$/, ''));
    const instance = (q.srcids as Record<string, unknown> | undefined)?.instance;
    if (typeof instance === 'string') sets.instances!.add(instance);
  }
  return Object.fromEntries(Object.entries(sets).filter(([, values]) => values.size > 0).map(([name, values]) => [name, [...values].sort()]));
}

/**
 * Writes days of an organisation's background activity with the chosen scenarios mixed into its last day,
 * in AWS's formats and S3 layout, plus the threat intel the scenarios use (intel/) and scenarios.json.
 */
export async function simulate(options: SimulateOptions): Promise<SimulateResult> {
  if (!(options.days >= 1)) throw new UserError('--days: at least 1 day of background');
  if (!(options.accounts >= 1 && options.accounts <= 50)) throw new UserError('--accounts: between 1 and 50');
  if (!(options.events >= 0)) throw new UserError('--events: a number of background records ≥ 0');
  const scenarios = selectScenarios(options.scenarios, options.all);
  const end = (options.end ?? startOfToday()).getTime();
  const start = end - options.days * DAY;
  const accounts = accountIds(options.seed, options.accounts);
  const regions = ['us-east-1', 'us-west-2', 'eu-west-1'];

  // Background: about a third CloudTrail, half flow records, the rest DNS queries.
  const share = (fraction: number) => Math.round(options.events * fraction);
  const common = { outDir: options.outDir, accounts, regions, start: new Date(start), days: options.days };
  const [cloudtrail, flows, dns] = [share(0.35), share(0.5), options.events - share(0.35) - share(0.5)];
  const generated = [
    cloudtrail > 0 ? await generateCloudTrail({ ...common, records: cloudtrail, seed: options.seed }) : undefined,
    flows > 0 ? await generateFlowLogs({ ...common, records: flows, seed: options.seed + 1 }) : undefined,
    dns > 0 ? await generateDnsLogs({ ...common, records: dns, seed: options.seed + 2 }) : undefined,
  ];

  // Attacks happen on the last day, spread between its 02:00 and 22:00 so each stands apart.
  const placed: PlacedScenario[] = [];
  for (const [index, scenario] of scenarios.entries()) {
    const times = recordTimes(scenario);
    if (times.length === 0) continue;
    const target = end - DAY + 2 * HOUR + Math.round(((index + 1) / (scenarios.length + 1)) * 20 * HOUR);
    const moved = shifted(isolated(scenario, options.seed), target - Math.max(...times));
    const movedTimes = recordTimes(moved);
    placed.push({
      id: scenario.id,
      description: scenario.description,
      expect: scenario.expect,
      techniques: scenario.techniques,
      origin: scenario.origin,
      window: { start: isoSeconds(Math.min(...movedTimes)), end: isoSeconds(Math.max(...movedTimes)) },
      entities: entitiesOf(moved),
      files: await writeScenarioFiles(options.outDir, moved, accounts[0]!),
    });
  }

  // The background's NAT gateways and Lambda functions use AWS addresses; listing them keeps them inside AWS
  // when a scenario brings its own AWS ranges.
  const intel = mergeIntel(scenarios.map((s) => s.intel), AWS_PREFIXES.map((prefix) => `${prefix}.0.0/16`));
  await mkdir(path.join(options.outDir, 'intel'), { recursive: true });
  await writeFile(path.join(options.outDir, 'intel', 'intel.json'), `${JSON.stringify(intel, null, 2)}\n`);
  // The uploaded lists also as GuardDuty TXT lists, for `gumshoe detect --threat-list intel/<name>.txt`.
  for (const [name, entries] of customLists(intel)) {
    await writeFile(path.join(options.outDir, 'intel', `${name}.txt`), `# ${name}: written by gumshoe simulate\n${entries.join('\n')}\n`);
  }
  const result: SimulateResult = {
    outDir: options.outDir,
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    accounts,
    background: {
      cloudtrail: generated[0]?.records ?? 0,
      flows: generated[1]?.records ?? 0,
      dns: generated[2]?.records ?? 0,
      files: generated.reduce((sum, g) => sum + (g?.files.length ?? 0), 0),
    },
    scenarios: placed,
  };
  const { outDir: _where, ...manifest } = result;
  await writeFile(path.join(options.outDir, 'scenarios.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return result;
}
