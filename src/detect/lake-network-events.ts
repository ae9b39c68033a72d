import type { DuckDBConnection, DuckDBDoubleVector } from '@duckdb/node-api';
import {
  asDouble, type Cell, doubles, joinedChunks, type JoinedDictionary, joinedRows, oneByOne, orNull, type ReadChunk, type ReadOptions, readOrder, type RowChunk,
  rowRange, sharedColumns, sliceSize, tableWatermark,
} from './lake-rows.js';
import { type LakeConnections, type SliceSize, slicedChunks, timeSlices } from './time-slices.js';
import { type DnsAnswer, type DnsEvent, type FlowEvent, isPrivateIp } from './network-event.js';
import { DOTTED_QUAD } from '../normalize/normalizer.js';

/**
 * VPC flow records and DNS queries from the lake, in time order, after a row-id watermark.
 *
 * A flow record is read without a single string per row, since converting strings is most of the cost of
 * reading millions of them (lake-rows.ts): where it was logged (account, region, interface, instance, VPC,
 * subnet) comes as a code into a dictionary of the run's distinct origins, and IPv4 addresses come as
 * numbers, printed back in JS (once per address). An address that is not a dotted quad exactly as it would
 * be printed back (IPv6, or text a custom format put there) comes as text.
 */
const FLOW_ORIGIN = ['cloud_account_uid', 'cloud_region', 'interface_uid', 'instance_uid', 'vpc_uid', 'subnet_uid'] as const;
/** Numeric fields; action and direction as codes (1 and 2). */
const FLOW_NUMBERS = [
  'epoch_ms(time)', 'epoch_ms(coalesce(end_time, time))', 'src_endpoint_port', 'dst_endpoint_port', 'connection_info_protocol_num',
  'traffic_packets', 'traffic_bytes', "CASE action WHEN 'Allowed' THEN 1 WHEN 'Denied' THEN 2 END",
  "CASE connection_info_direction WHEN 'Inbound' THEN 1 WHEN 'Outbound' THEN 2 END", 'connection_info_tcp_flags', 'source_file_id', 'source_line',
] as const;
const ipv4Number = (column: string) =>
  `CASE WHEN regexp_full_match(${column}, ${DOTTED_QUAD}) THEN ${[0, 1, 2, 3].map((k) => `split_part(${column}, '.', ${k + 1})::UBIGINT * ${256 ** (3 - k)}`).join(' + ')} END`;

const DNS_TEXT = [
  'cloud_account_uid', 'cloud_region', 'src_endpoint_vpc_uid', 'src_endpoint_ip', 'src_endpoint_instance_uid', 'query_hostname',
  'query_type', 'query_class', 'rcode', 'answers', 'connection_info_protocol_name', 'action',
] as const;
const DNS_NUMBERS = ['epoch_ms(time)', 'src_endpoint_port', 'source_file_id', 'source_line'] as const;

/** Time slices (time-slices.ts): flow records are numbers but for their addresses; a query's width is mostly its names. */
const FLOW_SLICE: SliceSize = { rows: 500_000 };
const DNS_SLICE: SliceSize = { rows: 500_000, rowBytes: '100 + coalesce(strlen(query_hostname), 0) + coalesce(strlen(answers::VARCHAR), 0)' };

type Origin = Pick<FlowEvent, 'accountId' | 'region' | 'interfaceId' | 'instanceId' | 'vpcId' | 'subnetId'>;

/**
 * Dotted quads printed from their numbers, kept so that an address seen again is the same string (hashed
 * once as a map key). A direct-mapped cache: each address has one slot, and a newcomer takes it over; a
 * lookup is an array read, where a Map of 200,000 addresses cost 1.1 s of a 5M-flow run.
 */
class Ipv4Names {
  private static readonly SLOTS = 1 << 18;
  private readonly keys = new Int32Array(Ipv4Names.SLOTS);
  private readonly names: (string | undefined)[] = new Array(Ipv4Names.SLOTS);

  name(value: number): string {
    const key = value | 0;
    // Fibonacci hashing: the multiply spreads neighbouring addresses over the table's top bits.
    const slot = Math.imul(key, 0x9e3779b1) >>> 14;
    const cached = this.names[slot];
    if (cached !== undefined && this.keys[slot] === key) return cached;
    const name = `${key >>> 24}.${(key >>> 16) & 255}.${(key >>> 8) & 255}.${key & 255}`;
    this.keys[slot] = key;
    this.names[slot] = name;
    return name;
  }
}

function toFlow(origin: Origin, srcIp: string | null, dstIp: string | null, n: Float64Array[], i: number): FlowEvent {
  const action = n[7]![i];
  const direction = n[8]![i];
  return {
    kind: 'flow',
    time: n[0]![i]!,
    end: n[1]![i]!,
    ...origin,
    srcIp,
    srcPort: orNull(n[2]![i]!),
    dstIp,
    dstPort: orNull(n[3]![i]!),
    protocol: orNull(n[4]![i]!),
    packets: orNull(n[5]![i]!) ?? 0,
    bytes: orNull(n[6]![i]!) ?? 0,
    action: action === 1 ? 'ACCEPT' : action === 2 ? 'REJECT' : null,
    direction: direction === 1 ? 'ingress' : direction === 2 ? 'egress' : null,
    tcpFlags: orNull(n[9]![i]!),
    fileId: orNull(n[10]![i]!),
    line: orNull(n[11]![i]!),
  };
}

/** Route 53 Resolver answers: `[{"Rdata": "…", "Type": "A", "Class": "IN"}]`. */
export function parseAnswers(text: string | null): DnsAnswer[] {
  if (!text) return [];
  return compactAnswers(text) ?? parsedAnswers(text);
}

/** Answers by JSON.parse, whatever the text's form (the reference the compact scan is tested against). */
export function parsedAnswers(text: string): DnsAnswer[] {
  try {
    const value: unknown = JSON.parse(text);
    if (!Array.isArray(value)) return [];
    return value.flatMap((a: Record<string, unknown>) => (typeof a?.Rdata === 'string' ? [{ type: String(a.Type ?? ''), data: a.Rdata }] : []));
  } catch {
    return [];
  }
}

const RDATA = '{"Rdata":"';
const TYPE = '","Type":"';
const CLASS = '","Class":"';
/** Escapes and control characters: text where a plain scan could differ from JSON.parse. */
const NOT_PLAIN = /[\\\u0000-\u001f]/;

/**
 * Answers in exactly the compact form the lake stores them (Route 53's key order, no whitespace, no
 * escapes), read by scanning: 3.5× faster than JSON.parse, which took a fifth of a DNS run's time.
 * Undefined for anything else, which JSON.parse then reads.
 */
function compactAnswers(text: string): DnsAnswer[] | undefined {
  const end = text.length - 1;
  if (text.charCodeAt(0) !== 91 || text.charCodeAt(end) !== 93 || NOT_PLAIN.test(text)) return undefined;
  const answers: DnsAnswer[] = [];
  let at = 1;
  if (at === end) return answers;
  for (;;) {
    if (!text.startsWith(RDATA, at)) return undefined;
    const dataEnd = text.indexOf('"', at + RDATA.length);
    if (!text.startsWith(TYPE, dataEnd)) return undefined;
    const typeEnd = text.indexOf('"', dataEnd + TYPE.length);
    if (!text.startsWith(CLASS, typeEnd)) return undefined;
    const classEnd = text.indexOf('"', typeEnd + CLASS.length);
    if (classEnd < 0 || text.charCodeAt(classEnd + 1) !== 125) return undefined;
    answers.push({ type: text.slice(dataEnd + TYPE.length, typeEnd), data: text.slice(at + RDATA.length, dataEnd) });
    at = classEnd + 2;
    if (at === end) return answers;
    if (text.charCodeAt(at) !== 44) return undefined;
    at++;
  }
}

/**
 * A DnsEvent's names from the logged query name: `queryName` without the trailing root dot, in lower case, as
 * names are compared; `casedName` as logged, only when its case differs.
 */
export function queryNames(name: string | null): Pick<DnsEvent, 'queryName' | 'casedName'> {
  const logged = (name ?? '').replace(/\.$/, '');
  const queryName = logged.toLowerCase();
  return { queryName, casedName: logged === queryName ? undefined : logged };
}

function toDns(row: Cell[], n: Float64Array[], i: number): DnsEvent {
  const { queryName, casedName } = queryNames(row[5]!);
  return {
    kind: 'dns',
    time: n[0]![i]!,
    accountId: row[0]!,
    region: row[1]!,
    vpcId: row[2]!,
    srcIp: row[3]!,
    srcPort: orNull(n[1]![i]!),
    instanceId: row[4]!,
    queryName,
    casedName,
    queryType: row[6]!,
    queryClass: row[7]!,
    rcode: row[8]!,
    answers: parseAnswers(row[9]!),
    transport: row[10]!,
    firewallAction: row[11]!,
    fileId: orNull(n[2]![i]!),
    line: orNull(n[3]![i]!),
  };
}

export const flowWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'network_activity');
export const dnsWatermark = (connection: DuckDBConnection) => tableWatermark(connection, 'dns_activity');

/**
 * Flow records with no time: their log format has neither `start` nor `end`. No detection can place them in
 * time, so they are not read; the engine reports how many.
 */
export async function undatedFlows(connection: DuckDBConnection, after: number, upTo: number): Promise<number> {
  const reader = await connection.runAndReadAll(`SELECT count(*) FROM network_activity WHERE ${rowRange(after, upTo)} AND time IS NULL`);
  return Number(reader.getRows()[0]![0]);
}

/** Where a flow read's records were logged, by code. */
export interface FlowDictionary {
  origins: Origin[];
  /** Each interface's own private addresses, as `account|interface|address` (ownAddresses). */
  own: string[];
}

/** An interface's own address space: RFC 1918 and the shared 100.64.0.0/10 some VPCs add as a CIDR. */
const OWNABLE = String.raw`'^(10|192\.168|172\.(1[6-9]|2[0-9]|3[01])|100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7]))\.'`;
/** "This network", loopback, link-local, multicast and reserved: never an internet peer. */
const NOT_INTERNET = String.raw`'^(0|127|169\.254|22[4-9]|2[3-5][0-9])\.'`;
/** A public IPv4 address: a dotted quad neither ownable nor NOT_INTERNET. */
const publicIpv4 = (column: string) =>
  `(regexp_full_match(${column}, ${DOTTED_QUAD}) AND NOT regexp_matches(${column}, ${OWNABLE}) AND NOT regexp_matches(${column}, ${NOT_INTERNET}))`;
/** More own addresses than this make an interface a forwarder (a firewall appliance, a NAT instance): nothing is inferred for it. */
const MAX_OWN_ADDRESSES = 16;

/**
 * Which private addresses are each interface's own, for records without the v5 flow-direction field. A record
 * between two private addresses is logged alike on both interfaces, so its own end is a guess; but on the
 * records an interface logs with an internet peer, the private end is its own (an instance's SSM agent, package
 * updates; a NAT gateway's translated side, its own address as AWS logs it). So a v2 record between two private
 * addresses of which exactly one is the interface's own shows its direction as v5 would. Learned from the
 * records the run reads (one more pass over them in SQL, not the whole lake): an interface that did not talk to
 * the internet in them learns nothing, and one with more than MAX_OWN_ADDRESSES (a forwarder) is left alone.
 */
async function ownAddresses(connection: DuckDBConnection, range: string): Promise<string[]> {
  const ownable = (column: string) => `regexp_matches(${column}, ${OWNABLE})`;
  const reader = await connection.runAndReadAll(`
    WITH own AS (
      SELECT DISTINCT cloud_account_uid AS account, interface_uid AS eni, CASE WHEN ${ownable('src_endpoint_ip')} THEN src_endpoint_ip ELSE dst_endpoint_ip END AS ip
      FROM network_activity
      WHERE ${range} AND interface_uid IS NOT NULL AND connection_info_direction IS NULL
        AND ((${ownable('src_endpoint_ip')} AND ${publicIpv4('dst_endpoint_ip')}) OR (${ownable('dst_endpoint_ip')} AND ${publicIpv4('src_endpoint_ip')}))
    )
    SELECT concat_ws('|', coalesce(account, ''), eni, ip) FROM own
    WHERE (account, eni) IN (SELECT account, eni FROM own GROUP BY ALL HAVING count(*) <= ${MAX_OWN_ADDRESSES})`);
  return reader.getRows().map((row) => String(row[0]));
}

/**
 * Gives a record between two private IPv4 addresses, without flow-direction, the direction its interface's own
 * address shows (ownAddresses). Records with an internet end need none: their private end is the interface's.
 */
function withOwnDirection(flow: FlowEvent, own: ReadonlySet<string>): FlowEvent {
  if (flow.direction !== null || own.size === 0 || flow.interfaceId === null || flow.srcIp === null || flow.dstIp === null) return flow;
  if (flow.srcIp.includes(':') || flow.dstIp.includes(':') || !isPrivateIp(flow.srcIp) || !isPrivateIp(flow.dstIp)) return flow;
  const prefix = `${flow.accountId ?? ''}|${flow.interfaceId}|`;
  const srcOwn = own.has(prefix + flow.srcIp);
  if (srcOwn !== own.has(prefix + flow.dstIp)) flow.direction = srcOwn ? 'egress' : 'ingress';
  return flow;
}

/**
 * Flow records stored after `after` up to and including `upTo` (row ids), in time order, chunk by chunk: the
 * numeric fields of FLOW_NUMBERS, then the two addresses as numbers (NaN when given as text), as
 * `numbers`; the addresses as text, where not numbers, as `text`; the origin as `codes`.
 */
export async function* flowChunks(lake: LakeConnections, after: number, upTo: number, options: ReadOptions = {}): AsyncGenerator<ReadChunk<FlowDictionary>> {
  const { connection } = lake;
  const range = `${rowRange(after, upTo)} AND time IS NOT NULL`;
  // Origins are network interfaces: no limit on how many are held.
  const shared = (await sharedColumns(connection, 'network_activity', FLOW_ORIGIN, range))!;
  try {
    const origins: Origin[] = shared.values.map(([accountId = null, region = null, interfaceId = null, instanceId = null, vpcId = null, subnetId = null]) => ({
      accountId, region, interfaceId, instanceId, vpcId, subnetId,
    }));
    const dictionary: FlowDictionary = { origins, own: await ownAddresses(connection, range) };
    const slices = await timeSlices(connection, 'network_activity', range, sliceSize(options, FLOW_SLICE));
    const sql = (slice: string) => `SELECT ${shared.code}, CASE WHEN src4 IS NULL THEN src_endpoint_ip END, CASE WHEN dst4 IS NULL THEN dst_endpoint_ip END,
        ${FLOW_NUMBERS.map(asDouble).join(', ')}, ${asDouble('src4')}, ${asDouble('dst4')}
      FROM (SELECT *, ${ipv4Number('src_endpoint_ip')} AS src4, ${ipv4Number('dst_endpoint_ip')} AS dst4
            FROM network_activity WHERE ${range} AND ${slice}) f
      ${shared.join('f')}
      ${readOrder('f')}`;
    for await (const chunk of slicedChunks(lake, 'network_activity', slices, sql)) {
      yield {
        dictionary,
        chunk: {
          codes: doubles(chunk.getColumnVector(0) as DuckDBDoubleVector),
          text: [1, 2].map((k) => chunk.getColumnValues(k) as Cell[]),
          numbers: [...FLOW_NUMBERS, 'src4', 'dst4'].map((_, k) => doubles(chunk.getColumnVector(k + 3) as DuckDBDoubleVector)),
        },
      };
    }
  } finally {
    await shared.drop();
  }
}

/** What makes the flow records of `flowChunks`' chunks; it keeps the addresses it printed (one per reader). */
export function flowDecoder(): (dictionary: FlowDictionary, chunk: RowChunk) => Iterable<FlowEvent> {
  const ipv4 = new Ipv4Names();
  const src4 = FLOW_NUMBERS.length;
  let ownOf: [string[], Set<string>] | undefined;
  return ({ origins, own }, { codes, text: [srcText, dstText], numbers }) => {
    if (ownOf?.[0] !== own) ownOf = [own, new Set(own)];
    const owned = ownOf[1];
    const address = (value: number, text: Cell) => (Number.isNaN(value) ? text : ipv4.name(value));
    return oneByOne(codes!.length, (i) =>
      withOwnDirection(toFlow(origins[codes![i]!]!, address(numbers[src4]![i]!, srcText![i]!), address(numbers[src4 + 1]![i]!, dstText![i]!), numbers, i), owned));
  };
}

/** `flowChunks` made into flow records. */
export async function* flowEvents(lake: LakeConnections, after: number, upTo: number, options: ReadOptions = {}): AsyncGenerator<Iterable<FlowEvent>> {
  const decode = flowDecoder();
  for await (const { dictionary, chunk } of flowChunks(lake, after, upTo, options)) yield decode(dictionary, chunk);
}

/** DNS queries stored after `after` up to and including `upTo` (row ids), in time order, chunk by chunk. */
export const dnsChunks = (lake: LakeConnections, after: number, upTo: number, options: ReadOptions = {}): AsyncGenerator<ReadChunk<JoinedDictionary>> =>
  joinedChunks(lake, 'dns_activity', DNS_TEXT, after, upTo, { ...options, slice: DNS_SLICE, numbers: DNS_NUMBERS });

/** The queries of a chunk `dnsChunks` read, each made as it is iterated. */
export const dnsEventsOf = (dictionary: JoinedDictionary, chunk: RowChunk): Iterable<DnsEvent> =>
  joinedRows(dictionary, chunk, (row, _shared, numbers, i) => toDns(row, numbers, i));

/** `dnsChunks` made into queries. */
export async function* dnsEvents(lake: LakeConnections, after: number, upTo: number, options: ReadOptions = {}): AsyncGenerator<Iterable<DnsEvent>> {
  for await (const { dictionary, chunk } of dnsChunks(lake, after, upTo, options)) yield dnsEventsOf(dictionary, chunk);
}
