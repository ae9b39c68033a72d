/**
 * Deterministic generators of realistic AWS log files (CloudTrail, VPC Flow Logs, Route 53
 * Resolver query logs), written gzip-compressed in the S3 key layout AWS delivers.
 *
 * Records are streamed to disk file by file, so memory stays flat whatever the size asked for.
 * Everything random comes from one seeded PRNG per call: same options → identical bytes.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';

/** Bump when the output of a generator changes, so cached benchmark data is regenerated. */
export const GENERATOR_VERSION = 6;

export interface GenerateOptions {
  outDir: string;
  records: number;
  seed: number;
  /** 12-digit AWS account IDs (default: three fixed accounts). */
  accounts?: readonly string[];
  regions?: readonly string[];
  /** Start of the first 5-minute delivery window (default 2024-05-06T00:00:00Z). */
  start?: Date;
  /** Records per delivered file, inclusive range (defaults are per source). */
  recordsPerFile?: { min: number; max: number };
  /** Spread the records over this many days from `start` (sizes the files; ignored with recordsPerFile). */
  days?: number;
}

export interface FlowLogOptions extends GenerateOptions {
  /** Share of files written by a flow log with the custom v5 format (default 0.25). */
  customFormatShare?: number;
}

export interface GenerateResult {
  /** Absolute paths of the written .gz files, in the order written. */
  files: string[];
  records: number;
  /** Compressed bytes on disk. */
  bytes: number;
  /** Bytes before compression. */
  uncompressedBytes: number;
}

export const DEFAULT_ACCOUNTS = ['123456789012', '210987654321', '555566667777'] as const;
export const DEFAULT_REGIONS = ['us-east-1', 'us-west-2', 'eu-west-1', 'ap-southeast-2'] as const;
const DEFAULT_START = new Date('2024-05-06T00:00:00Z');
const WINDOW_MS = 5 * 60_000;
const HOUR_MS = 3_600_000;

// ───────────────────────────── seeded randomness ─────────────────────────────

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const UPPER_ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const HEX = '0123456789abcdef';

/** sfc32: small, fast, 128-bit state, good enough statistics for synthetic data. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    // splitmix32 spreads a small integer seed over the whole state.
    let s = seed >>> 0;
    const splitmix = (): number => {
      s = (s + 0x9e3779b9) | 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = splitmix();
    this.b = splitmix();
    this.c = splitmix();
    this.d = splitmix();
    for (let i = 0; i < 15; i++) this.uint32();
  }

  uint32(): number {
    const t0 = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    const t = (t0 + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.uint32() / 4294967296;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** Integer spread evenly over orders of magnitude: most values small, a long tail. */
  logInt(min: number, max: number): number {
    return Math.floor(Math.exp(Math.log(min) + this.next() * (Math.log(max + 1) - Math.log(min))));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)] as T;
  }

  fromAlphabet(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  hex(length: number): string {
    let out = '';
    while (out.length < length) out += this.uint32().toString(16).padStart(8, '0');
    return out.slice(0, length);
  }

  alnum(length: number): string {
    return this.fromAlphabet(ALNUM, length);
  }

  upperAlnum(length: number): string {
    return this.fromAlphabet(UPPER_ALNUM, length);
  }

  digits(length: number): string {
    return this.fromAlphabet('0123456789', length);
  }

  /** Random (version 4) UUID. */
  uuid(): string {
    const h = this.hex(32);
    const variant = HEX[8 + (this.uint32() & 3)];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
  }
}

/** Picks items with fixed relative weights. */
export class Weighted<T> {
  private readonly items: T[] = [];
  private readonly cumulative: number[] = [];
  private total = 0;

  constructor(entries: Iterable<readonly [T, number]>) {
    for (const [item, weight] of entries) {
      if (weight <= 0) continue;
      this.total += weight;
      this.items.push(item);
      this.cumulative.push(this.total);
    }
    if (this.items.length === 0) throw new Error('Weighted needs at least one positive weight');
  }

  pick(rng: Random): T {
    const target = rng.next() * this.total;
    let low = 0;
    let high = this.cumulative.length - 1;
    while (low < high) {
      const mid = (low + high) >> 1;
      if ((this.cumulative[mid] as number) > target) high = mid;
      else low = mid + 1;
    }
    return this.items[low] as T;
  }
}

// ───────────────────────────── output plumbing ─────────────────────────────

/** A gzip file fed in large chunks, waiting for the compressor whenever it asks us to. */
class GzipFileWriter {
  private readonly gzip: Gzip;
  private readonly done: Promise<void>;
  private pending: string[] = [];
  private pendingChars = 0;
  uncompressedBytes = 0;

  private constructor(readonly file: string) {
    this.gzip = createGzip();
    this.done = pipeline(this.gzip, createWriteStream(file));
  }

  static async create(file: string): Promise<GzipFileWriter> {
    await mkdir(path.dirname(file), { recursive: true });
    return new GzipFileWriter(file);
  }

  add(text: string): void {
    this.pending.push(text);
    this.pendingChars += text.length;
  }

  /** True when enough text is buffered that the caller should `await flush()`. */
  get full(): boolean {
    return this.pendingChars >= 256 * 1024;
  }

  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const chunk = Buffer.from(this.pending.join(''));
    this.pending = [];
    this.pendingChars = 0;
    this.uncompressedBytes += chunk.length;
    if (!this.gzip.write(chunk)) await once(this.gzip, 'drain');
  }

  /** Finishes the file; resolves to its compressed size. */
  async close(): Promise<number> {
    await this.flush();
    this.gzip.end();
    await this.done;
    return (await stat(this.file)).size;
  }
}

/**
 * Remembers 32-bit FNV-1a hashes of the lines of one file, so a generator can skip exact repeats
 * (short NODATA lines collide easily) and "records generated" equals "distinct records".
 * A hash collision only costs a re-roll.
 */
class RepeatFilter {
  private readonly seen = new Set<number>();

  isNew(line: string): boolean {
    let hash = 0x811c9dc5;
    for (let i = 0; i < line.length; i++) hash = Math.imul(hash ^ line.charCodeAt(i), 0x01000193);
    if (this.seen.has(hash)) return false;
    this.seen.add(hash);
    return true;
  }
}

function emptyResult(): GenerateResult {
  return { files: [], records: 0, bytes: 0, uncompressedBytes: 0 };
}

async function finishFile(writer: GzipFileWriter, records: number, result: GenerateResult): Promise<void> {
  result.bytes += await writer.close();
  result.uncompressedBytes += writer.uncompressedBytes;
  result.records += records;
  result.files.push(writer.file);
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** YYYY/MM/DD, the date folders of the AWS key layout. */
function dateFolders(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}/${pad2(d.getUTCMonth() + 1)}/${pad2(d.getUTCDate())}`;
}

/** YYYYMMDDTHHMMZ, the delivery stamp in AWS log file names. */
function deliveryStamp(ms: number): string {
  const d = new Date(ms);
  return (
    `${d.getUTCFullYear()}${pad2(d.getUTCMonth() + 1)}${pad2(d.getUTCDate())}` +
    `T${pad2(d.getUTCHours())}${pad2(d.getUTCMinutes())}Z`
  );
}

/** ISO-8601 to the second, as CloudTrail and Route 53 write it. */
function isoSeconds(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

/** The "Mar 4, 2024, 1:05:00 AM" style CloudTrail uses inside some response elements. */
function awsLongDate(ms: number): string {
  const d = new Date(ms);
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const hour12 = d.getUTCHours() % 12 || 12;
  const suffix = d.getUTCHours() < 12 ? 'AM' : 'PM';
  return `${months[d.getUTCMonth()]} ${d.getUTCDate()}, ${d.getUTCFullYear()}, ${hour12}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} ${suffix}`;
}

/** Delivery streams (one per account × region here) with how often each delivers a file. */
interface Stream<T> {
  accountId: string;
  region: string;
  activity: number;
  state: T;
}

/** Busier accounts and us-east-1 deliver more often; the first stream always delivers. */
function streamActivity(accountIndex: number, regionIndex: number): number {
  const accountWeight = [1, 0.7, 0.5, 0.4][Math.min(accountIndex, 3)] as number;
  const regionWeight = [1, 0.6, 0.45, 0.3][Math.min(regionIndex, 3)] as number;
  return accountWeight * regionWeight;
}

/**
 * Runs delivery windows until `records` are written: in each 5-minute window every stream
 * delivers a file with probability `activity`. `writeFile` writes one file and returns its
 * record count.
 */
async function deliverInWindows<T>(
  rng: Random,
  options: GenerateOptions,
  streams: Stream<T>[],
  defaultPerFile: { min: number; max: number },
  mustDeliver: ((stream: Stream<T>, windowEnd: number) => boolean) | null,
  writeFile: (stream: Stream<T>, windowStart: number, count: number, windowMs: number) => Promise<void>,
): Promise<void> {
  const { perFile, windowMs } = options.recordsPerFile
    ? { perFile: options.recordsPerFile, windowMs: WINDOW_MS }
    : options.days
      ? spreadOverDays(options.records, options.days, streams)
      : { perFile: defaultPerFile, windowMs: WINDOW_MS };
  const start = (options.start ?? DEFAULT_START).getTime();
  let remaining = options.records;
  for (let window = 0; remaining > 0; window++) {
    const windowStart = start + window * windowMs;
    for (const stream of streams) {
      if (remaining <= 0) break;
      if (stream !== streams[0] && !mustDeliver?.(stream, windowStart + windowMs) && !rng.chance(stream.activity)) continue;
      const count = Math.min(remaining, rng.int(perFile.min, perFile.max));
      await writeFile(stream, windowStart, count, windowMs);
      remaining -= count;
    }
  }
}

/** Records per file that a sparse history still delivers in (a quiet account's trail writes few, fuller files). */
const MIN_SPREAD_FILE = 100;

/**
 * Delivery windows and file sizes that make `records` last about `days`: 5-minute windows while there is
 * enough to fill their files, longer ones (in 5-minute steps) for a sparse history, so it is not thousands of
 * nearly empty files, but at most an hour: a file then holds no event much older than its delivery, so a daily
 * or hourly job over the S3 layout reads events in about their order, as it reads AWS's files.
 */
function spreadOverDays(records: number, days: number, streams: Stream<unknown>[]): { perFile: { min: number; max: number }; windowMs: number } {
  const filesPerWindow = 1 + streams.slice(1).reduce((sum, stream) => sum + stream.activity, 0);
  const span = days * 86_400_000;
  const windows = Math.max(1, Math.min(span / WINDOW_MS, records / (MIN_SPREAD_FILE * filesPerWindow)));
  const windowMs = Math.min(HOUR_MS, Math.max(WINDOW_MS, Math.round(span / windows / WINDOW_MS) * WINDOW_MS));
  const mean = records / (span / windowMs) / filesPerWindow;
  return { perFile: { min: Math.max(1, Math.floor(mean * 0.5)), max: Math.max(1, Math.ceil(mean * 1.5)) }, windowMs };
}

function makeStreams<T>(
  options: GenerateOptions,
  makeState: (accountId: string, region: string) => T,
): Stream<T>[] {
  const accounts = options.accounts ?? DEFAULT_ACCOUNTS;
  const regions = options.regions ?? DEFAULT_REGIONS;
  const streams: Stream<T>[] = [];
  accounts.forEach((accountId, accountIndex) =>
    regions.forEach((region, regionIndex) =>
      streams.push({
        accountId,
        region,
        activity: streamActivity(accountIndex, regionIndex),
        state: makeState(accountId, region),
      }),
    ),
  );
  return streams;
}

// ───────────────────────────── shared network model ─────────────────────────────

/** First octets of widely used public ranges (cloud providers, ISPs), none reserved. */
const PUBLIC_FIRST_OCTETS = [
  3, 13, 18, 20, 23, 31, 34, 35, 37, 44, 46, 50, 52, 54, 62, 63, 66, 69, 72, 73, 76, 77, 78, 81,
  82, 84, 85, 88, 89, 91, 93, 95, 98, 99, 104, 107, 108, 109, 128, 130, 140, 141, 142, 143, 151,
  154, 157, 159, 162, 176, 178, 185, 188, 193, 194, 195, 199, 204, 205, 206, 207, 208, 209, 212,
  213, 216, 217,
] as const;

function publicIp(rng: Random): string {
  return `${rng.pick(PUBLIC_FIRST_OCTETS)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
}

function publicIpPool(rng: Random, size: number): string[] {
  return Array.from({ length: size }, () => publicIp(rng));
}

/** /16s of AWS's EC2 address space (AS14618/AS16509): where NAT gateways and Lambda calls come from. */
export const AWS_PREFIXES = ['3.208', '3.220', '18.208', '18.232', '34.192', '34.224', '44.192', '52.0', '52.4', '54.144', '54.160', '54.172', '100.24'] as const;

function awsIpPool(rng: Random, size: number): string[] {
  return prefixPool(rng, AWS_PREFIXES, size);
}

/** /16s of Azure (AS8075), where GitHub-hosted runners run. */
const AZURE_PREFIXES = ['20.42', '20.57', '20.84', '20.102', '20.169', '40.76', '13.64', '4.148', '52.234'] as const;

function prefixPool(rng: Random, prefixes: readonly string[], size: number): string[] {
  return Array.from({ length: size }, () => `${rng.pick(prefixes)}.${rng.int(0, 255)}.${rng.int(1, 254)}`);
}

/** A VPC CIDR prefix: the default VPC's 172.31 or a 10.x/16. */
function vpcPrefix(rng: Random): string {
  return rng.chance(0.35) ? '172.31' : `10.${rng.int(0, 60)}`;
}

function privateIpIn(rng: Random, prefix: string): string {
  return `${prefix}.${rng.int(0, 47)}.${rng.int(4, 254)}`;
}

const instanceId = (rng: Random): string => `i-${rng.hex(17)}`;
const vpcId = (rng: Random): string => `vpc-${rng.hex(17)}`;

/** The EC2 internal DNS domain of a region. */
function internalDomain(region: string): string {
  return region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
}

function availabilityZone(rng: Random, region: string): string {
  return `${region}${rng.pick(['a', 'b', 'c'])}`;
}

// ───────────────────────────── CloudTrail ─────────────────────────────

const FIRST_NAMES = [
  'alice', 'bruno', 'carmen', 'dmitri', 'elena', 'farah', 'gustavo', 'hana', 'ivan', 'jun',
  'kofi', 'lena', 'mateo', 'nadia', 'omar', 'priya', 'quinn', 'rosa', 'sven', 'tomas', 'uma',
  'viktor', 'wei', 'yara',
] as const;
const LAST_NAMES = ['nguyen', 'smith', 'garcia', 'kim', 'patel', 'mueller', 'rossi', 'tanaka', 'okafor', 'silva', 'cohen', 'novak'] as const;
const COMPANIES = ['acme', 'globex', 'initech', 'umbrella', 'hooli', 'vandelay', 'wayne', 'tyrell'] as const;
const APPS = ['checkout', 'orders', 'payments', 'search', 'inventory', 'auth', 'reporting', 'ingest', 'notifications', 'billing'] as const;
const ENVIRONMENTS = ['prod', 'staging', 'dev'] as const;

const BROWSER_AGENTS = [
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 Edg/123.0.2420.97',
  'Mozilla/5.0 (X11; Linux x86_64; rv:125.0) Gecko/20100101 Firefox/125.0',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4.1 Safari/605.1.15',
] as const;
const CLI_AGENTS = [
  'aws-cli/2.15.40 md/awscrt#0.19.19 ua/2.0 os/macos#23.4.0 md/arch#arm64 lang/python#3.11.8 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off',
  'aws-cli/2.13.25 Python/3.11.5 Linux/6.5.0-1018-aws exe/x86_64.ubuntu.22 prompt/off command/ec2.describe-instances',
  'aws-cli/1.29.45 Python/3.10.12 Linux/5.15.0-105-generic botocore/1.31.45',
  'Boto3/1.28.57 Python/3.11.6 Darwin/23.4.0 Botocore/1.31.57',
  'Boto3/1.34.93 md/Botocore#1.34.93 ua/2.0 os/linux#6.1.84-99.169.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.3 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.34.93',
] as const;
const CI_AGENTS = [
  'APN/1.0 HashiCorp/1.0 Terraform/1.7.5 (+https://www.terraform.io) terraform-provider-aws/5.46.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.1 md/GOOS#linux md/GOARCH#amd64 api/ec2#1.156.0',
  'APN/1.0 HashiCorp/1.0 Terraform/1.8.2 (+https://www.terraform.io) terraform-provider-aws/5.47.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/iam#1.32.0',
  'aws-cli/2.15.40 Python/3.11.8 Linux/6.5.0-1018-azure exe/x86_64.ubuntu.22 prompt/off command/sts.get-caller-identity',
  'aws-sdk-js/3.565.0 ua/2.0 os/linux#6.5.0-1018-azure lang/js md/nodejs#20.12.2 api/cloudformation#3.565.0',
] as const;
const INSTANCE_AGENTS = [
  'aws-sdk-go/1.50.8 (go1.21.6; linux; amd64) amazon-ssm-agent/3.3.131.0',
  'aws-sdk-java/1.12.470 Linux/5.10.178-162.673.amzn2.x86_64 OpenJDK_64-Bit_Server_VM/17.0.7+7-LTS java/17.0.7 vendor/Amazon.com_Inc.',
  'Boto3/1.26.137 Python/3.9.16 Linux/5.10.178-162.673.amzn2.x86_64 Botocore/1.29.137',
  'aws-sdk-nodejs/2.1418.0 linux/v18.17.0 exec-env/AWS_ECS_EC2 promise',
  'aws-sdk-go-v2/1.26.1 os/linux lang/go#1.22.2 md/GOOS#linux md/GOARCH#amd64 api/ecr#1.27.4',
] as const;
const LAMBDA_AGENTS = [
  'aws-sdk-js/3.556.0 ua/2.0 os/linux#5.10.214-223.853.amzn2.x86_64 lang/js md/nodejs#20.12.0 exec-env/AWS_Lambda_nodejs20.x api/dynamodb#3.556.0',
  'Boto3/1.34.51 md/Botocore#1.34.51 ua/2.0 os/linux#5.10.214-223.853.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.2 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.34.51',
] as const;
const TLS_CIPHERS = ['TLS_AES_128_GCM_SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'TLS_AES_256_GCM_SHA384'] as const;

type Profile = 'sso-console' | 'iam-console' | 'iam-cli' | 'ci' | 'instance' | 'lambda' | 'service' | 'root';

interface ActorSource {
  ip: string;
  vpcEndpointId?: string;
}

/** Someone or something making API calls: a person, a pipeline, a workload or a service. */
interface Actor {
  profile: Profile;
  accountId: string;
  /** For AccessDenied messages. */
  arn: string;
  /** Region the actor lives in (instances, functions); undefined acts everywhere. */
  homeRegion?: string;
  /** Offset that makes each actor's hourly credential sessions start at its own minute. */
  sessionPhase: number;
  sessionKeys: Map<number, string>;
  /** People work set hours on weekdays (UTC start hour, length); pipelines, workloads and services never stop. */
  workday?: { start: number; hours: number };
  identity: (time: number, sessionKey: string, sessionStart: number) => Record<string, unknown>;
  source: (rng: Random) => ActorSource;
  /** User agent for a call to `eventSource` (an instance's SSM agent and its app differ). */
  userAgent: (rng: Random, eventSource: string) => string;
  instanceId?: string;
  privateIp?: string;
  functionName?: string;
}

/** What an account holds in a region: the names that calls refer to. */
interface RegionEstate {
  region: string;
  vpcId: string;
  vpcPrefix: string;
  instances: string[];
  kmsKeys: string[];
  functions: string[];
  tables: string[];
  natIps: string[];
  vpcEndpointId: string;
}

interface AccountEstate {
  accountId: string;
  company: string;
  buckets: string[];
  roles: string[];
  users: string[];
  secrets: string[];
  parameters: string[];
  regions: Map<string, RegionEstate>;
}

interface CallContext {
  rng: Random;
  account: AccountEstate;
  estate: RegionEstate;
  region: string;
  actor: Actor;
  time: number;
  chosen: Record<string, string>;
}

type Json = Record<string, unknown> | null;

/** One kind of API call: where it goes and what its parameters look like. */
interface EventSpec {
  source: string;
  name: string;
  readOnly: boolean;
  /** IAM, sign-in: logged in us-east-1 only. */
  global?: boolean;
  eventType?: 'AwsApiCall' | 'AwsConsoleSignIn';
  request: (c: CallContext) => Json;
  response?: (c: CallContext) => Json;
  resources?: (c: CallContext) => Record<string, unknown>[];
  /** Service-specific "not found" error. */
  notFound?: (c: CallContext) => [string, string];
}

const arnRole = (acct: string, role: string): string => `arn:aws:iam::${acct}:role/${role}`;
const items = <T>(list: T[]): { items: T[] } => ({ items: list });
const filter = (name: string, value: string): Record<string, unknown> => ({
  name,
  valueSet: items([{ value }]),
});
/** Picks once per call, so request, response and resources name the same thing. */
function chosen(c: CallContext, key: string, pick: () => string): string {
  return (c.chosen[key] ??= pick());
}
const kmsKeyArn = (c: CallContext): string =>
  chosen(c, 'key', () => `arn:aws:kms:${c.region}:${c.account.accountId}:key/${c.rng.pick(c.estate.kmsKeys)}`);
const someInstance = (c: CallContext): string => chosen(c, 'instance', () => c.actor.instanceId ?? c.rng.pick(c.estate.instances));
const someBucket = (c: CallContext): string => chosen(c, 'bucket', () => c.rng.pick(c.account.buckets));
const someRole = (c: CallContext): string => chosen(c, 'role', () => c.rng.pick(c.account.roles));
const someFunction = (c: CallContext): string => chosen(c, 'function', () => c.rng.pick(c.estate.functions));
const instanceAddress = (c: CallContext): string => chosen(c, 'address', () => c.actor.privateIp ?? privateIpIn(c.rng, c.estate.vpcPrefix));
const someUser = (c: CallContext): string => chosen(c, 'user', () => c.rng.pick(c.account.users));
const newUserName = (c: CallContext): string => chosen(c, 'newUser', () => `${c.rng.pick(APPS)}-svc`);
const bucketHost = (bucket: string, region: string): string => `${bucket}.s3.${region}.amazonaws.com`;

function s3BucketResource(c: CallContext, bucket: string): Record<string, unknown> {
  return { accountId: c.account.accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` };
}

const assumedSessionName = (c: CallContext): string =>
  chosen(c, 'session', () => c.actor.instanceId ?? c.actor.functionName ?? `${c.rng.pick(FIRST_NAMES)}-${c.rng.digits(10)}`);

const EVENT_SPECS: EventSpec[] = [
  // EC2
  {
    source: 'ec2.amazonaws.com', name: 'DescribeInstances', readOnly: true,
    request: (c) => c.rng.chance(0.5)
      ? { instancesSet: {}, filterSet: {} }
      : { instancesSet: items([{ instanceId: someInstance(c) }]), filterSet: {}, includeAllResources: false },
  },
  {
    source: 'ec2.amazonaws.com', name: 'DescribeSecurityGroups', readOnly: true,
    request: (c) => ({ securityGroupSet: {}, securityGroupIdSet: {}, filterSet: items([filter('vpc-id', c.estate.vpcId)]) }),
  },
  { source: 'ec2.amazonaws.com', name: 'DescribeVolumes', readOnly: true, request: () => ({ volumeSet: {}, filterSet: {} }) },
  {
    source: 'ec2.amazonaws.com', name: 'DescribeSnapshots', readOnly: true,
    request: () => ({ snapshotSet: {}, ownersSet: items([{ owner: 'self' }]), restorableBySet: {}, filterSet: {} }),
  },
  {
    source: 'ec2.amazonaws.com', name: 'DescribeNetworkInterfaces', readOnly: true,
    request: (c) => ({ networkInterfaceIdSet: {}, filterSet: items([filter('vpc-id', c.estate.vpcId)]) }),
  },
  { source: 'ec2.amazonaws.com', name: 'DescribeRegions', readOnly: true, request: () => ({ regionSet: {}, allRegions: false }) },
  {
    source: 'ec2.amazonaws.com', name: 'DescribeAddresses', readOnly: true,
    request: () => ({ publicIpsSet: {}, allocationIdsSet: {}, filterSet: {} }),
  },
  {
    source: 'ec2.amazonaws.com', name: 'DescribeTags', readOnly: true,
    request: (c) => ({ filterSet: items([filter('resource-id', someInstance(c))]) }),
  },
  {
    source: 'ec2.amazonaws.com', name: 'CreateTags', readOnly: false,
    request: (c) => ({
      resourcesSet: items([{ resourceId: someInstance(c) }]),
      tagSet: items([{ key: 'owner', value: c.rng.pick(FIRST_NAMES) }, { key: 'app', value: c.rng.pick(APPS) }]),
    }),
    response: (c) => ({ requestId: c.rng.uuid(), _return: true }),
  },
  {
    source: 'ec2.amazonaws.com', name: 'StartInstances', readOnly: false,
    request: (c) => ({ instancesSet: items([{ instanceId: someInstance(c) }]) }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      instancesSet: items([{ instanceId: someInstance(c), currentState: { code: 0, name: 'pending' }, previousState: { code: 80, name: 'stopped' } }]),
    }),
    notFound: (c) => ['Client.InvalidInstanceID.NotFound', `The instance ID '${instanceId(c.rng)}' does not exist`],
  },
  {
    source: 'ec2.amazonaws.com', name: 'StopInstances', readOnly: false,
    request: (c) => ({ instancesSet: items([{ instanceId: someInstance(c) }]), force: false }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      instancesSet: items([{ instanceId: someInstance(c), currentState: { code: 64, name: 'stopping' }, previousState: { code: 16, name: 'running' } }]),
    }),
    notFound: (c) => ['Client.InvalidInstanceID.NotFound', `The instance ID '${instanceId(c.rng)}' does not exist`],
  },
  {
    source: 'ec2.amazonaws.com', name: 'TerminateInstances', readOnly: false,
    request: (c) => ({ instancesSet: items([{ instanceId: someInstance(c) }]) }),
    response: (c) => ({
      requestId: c.rng.uuid(),
      instancesSet: items([{ instanceId: someInstance(c), currentState: { code: 32, name: 'shutting-down' }, previousState: { code: 16, name: 'running' } }]),
    }),
  },
  { source: 'ec2.amazonaws.com', name: 'RunInstances', readOnly: false, request: runInstancesRequest, response: runInstancesResponse },
  {
    source: 'ec2.amazonaws.com', name: 'AuthorizeSecurityGroupIngress', readOnly: false,
    request: (c) => {
      const port = c.rng.pick([22, 443, 5432, 8080, 3389]);
      return {
        groupId: `sg-${c.rng.hex(17)}`,
        ipPermissions: items([{
          ipProtocol: 'tcp', fromPort: port, toPort: port, groups: {},
          ipRanges: items([{ cidrIp: c.rng.chance(0.2) ? '0.0.0.0/0' : `${c.estate.vpcPrefix}.0.0/16` }]),
          ipv6Ranges: {}, prefixListIds: {},
        }]),
      };
    },
    response: (c) => ({ requestId: c.rng.uuid(), _return: true, securityGroupRuleSet: items([{ groupOwnerId: c.account.accountId, securityGroupRuleId: `sgr-${c.rng.hex(17)}`, isEgress: false }]) }),
  },
  {
    source: 'ec2.amazonaws.com', name: 'CreateSnapshot', readOnly: false,
    request: (c) => ({ volumeId: `vol-${c.rng.hex(17)}`, description: `nightly backup ${c.rng.pick(APPS)}` }),
    response: (c) => ({
      requestId: c.rng.uuid(), snapshotId: `snap-${c.rng.hex(17)}`, volumeId: `vol-${c.rng.hex(17)}`,
      status: 'pending', startTime: c.time, progress: '', ownerId: c.account.accountId,
      volumeSize: c.rng.pick([8, 20, 50, 100, 500]), encrypted: true,
    }),
  },
  // STS
  {
    source: 'sts.amazonaws.com', name: 'AssumeRole', readOnly: true,
    request: (c) => ({
      roleArn: arnRole(c.account.accountId, someRole(c)),
      roleSessionName: assumedSessionName(c),
      ...(c.rng.chance(0.4) ? { durationSeconds: 3600 } : {}),
    }),
    response: (c) => ({
      credentials: {
        accessKeyId: `ASIA${c.rng.upperAlnum(16)}`,
        sessionToken: `IQoJb3JpZ2luX2VjE${c.rng.alnum(180)}`,
        expiration: awsLongDate(c.time + HOUR_MS),
      },
      assumedRoleUser: {
        assumedRoleId: `AROA${c.rng.upperAlnum(17)}:${assumedSessionName(c)}`,
        arn: `arn:aws:sts::${c.account.accountId}:assumed-role/${someRole(c)}/${assumedSessionName(c)}`,
      },
    }),
    resources: (c) => [{ accountId: c.account.accountId, type: 'AWS::IAM::Role', ARN: arnRole(c.account.accountId, someRole(c)) }],
  },
  { source: 'sts.amazonaws.com', name: 'GetCallerIdentity', readOnly: true, request: () => null },
  // IAM (global)
  { source: 'iam.amazonaws.com', name: 'ListRoles', readOnly: true, global: true, request: () => ({ maxItems: 1000 }) },
  { source: 'iam.amazonaws.com', name: 'ListUsers', readOnly: true, global: true, request: () => null },
  { source: 'iam.amazonaws.com', name: 'GetAccountSummary', readOnly: true, global: true, request: () => null },
  {
    source: 'iam.amazonaws.com', name: 'GetRole', readOnly: true, global: true,
    request: (c) => ({ roleName: someRole(c) }),
    notFound: (c) => ['NoSuchEntityException', `The role with name ${c.rng.pick(APPS)}-legacy-role cannot be found.`],
  },
  {
    source: 'iam.amazonaws.com', name: 'ListAttachedRolePolicies', readOnly: true, global: true,
    request: (c) => ({ roleName: someRole(c) }),
  },
  {
    source: 'iam.amazonaws.com', name: 'GetPolicy', readOnly: true, global: true,
    request: (c) => ({ policyArn: `arn:aws:iam::${c.account.accountId}:policy/${c.rng.pick(APPS)}-access` }),
  },
  {
    source: 'iam.amazonaws.com', name: 'GetPolicyVersion', readOnly: true, global: true,
    request: (c) => ({ policyArn: `arn:aws:iam::${c.account.accountId}:policy/${c.rng.pick(APPS)}-access`, versionId: `v${c.rng.int(1, 9)}` }),
  },
  {
    source: 'iam.amazonaws.com', name: 'CreateUser', readOnly: false, global: true,
    request: (c) => ({ userName: newUserName(c) }),
    response: (c) => ({
      user: {
        path: '/', userName: newUserName(c), userId: `AIDA${c.rng.upperAlnum(17)}`,
        arn: `arn:aws:iam::${c.account.accountId}:user/${newUserName(c)}`, createDate: awsLongDate(c.time),
      },
    }),
  },
  {
    source: 'iam.amazonaws.com', name: 'CreateAccessKey', readOnly: false, global: true,
    request: (c) => ({ userName: someUser(c) }),
    response: (c) => ({
      accessKey: { userName: someUser(c), accessKeyId: `AKIA${c.rng.upperAlnum(16)}`, status: 'Active', createDate: awsLongDate(c.time) },
    }),
  },
  {
    source: 'iam.amazonaws.com', name: 'AttachRolePolicy', readOnly: false, global: true,
    request: (c) => ({ roleName: someRole(c), policyArn: `arn:aws:iam::aws:policy/${c.rng.pick(['ReadOnlyAccess', 'AmazonS3ReadOnlyAccess', 'AdministratorAccess', 'CloudWatchAgentServerPolicy'])}` }),
  },
  // Console sign-in (global)
  {
    source: 'signin.amazonaws.com', name: 'ConsoleLogin', readOnly: false, global: true, eventType: 'AwsConsoleSignIn',
    request: () => null,
    response: () => ({ ConsoleLogin: 'Success' }),
  },
  // S3 management calls
  {
    source: 's3.amazonaws.com', name: 'ListBuckets', readOnly: true,
    request: (c) => ({ Host: `s3.${c.region}.amazonaws.com` }),
  },
  ...['GetBucketAcl', 'GetBucketPolicy', 'GetBucketLocation', 'GetBucketVersioning', 'GetBucketEncryption'].map(
    (name): EventSpec => ({
      source: 's3.amazonaws.com', name, readOnly: true,
      request: (c) => {
        const bucket = someBucket(c);
        const subresource = { GetBucketAcl: 'acl', GetBucketPolicy: 'policy', GetBucketLocation: 'location', GetBucketVersioning: 'versioning', GetBucketEncryption: 'encryption' }[name] as string;
        return { bucketName: bucket, Host: bucketHost(bucket, c.region), [subresource]: '' };
      },
      resources: (c) => [s3BucketResource(c, someBucket(c))],
    }),
  ),
  {
    source: 's3.amazonaws.com', name: 'PutBucketPolicy', readOnly: false,
    request: (c) => {
      const bucket = someBucket(c);
      return {
        bucketName: bucket, Host: bucketHost(bucket, c.region), policy: '',
        bucketPolicy: {
          Version: '2012-10-17',
          Statement: [{ Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } }],
        },
      };
    },
    resources: (c) => [s3BucketResource(c, someBucket(c))],
  },
  // KMS
  {
    source: 'kms.amazonaws.com', name: 'Decrypt', readOnly: true,
    request: (c) => ({
      encryptionContext: c.actor.functionName
        ? { 'aws:lambda:FunctionArn': `arn:aws:lambda:${c.region}:${c.account.accountId}:function:${c.actor.functionName}` }
        : { 'aws:s3:arn': `arn:aws:s3:::${someBucket(c)}/${c.rng.pick(APPS)}/${c.rng.hex(12)}.json` },
      encryptionAlgorithm: 'SYMMETRIC_DEFAULT',
    }),
    resources: (c) => [{ accountId: c.account.accountId, type: 'AWS::KMS::Key', ARN: kmsKeyArn(c) }],
  },
  {
    source: 'kms.amazonaws.com', name: 'GenerateDataKey', readOnly: true,
    request: (c) => ({ keyId: kmsKeyArn(c), encryptionContext: { 'aws:s3:arn': `arn:aws:s3:::${someBucket(c)}` }, keySpec: 'AES_256' }),
    resources: (c) => [{ accountId: c.account.accountId, type: 'AWS::KMS::Key', ARN: kmsKeyArn(c) }],
  },
  // SSM, Secrets Manager
  {
    source: 'ssm.amazonaws.com', name: 'UpdateInstanceInformation', readOnly: false,
    request: (c) => ({
      instanceId: someInstance(c), agentVersion: '3.3.131.0', agentStatus: 'Active', platformType: 'Linux',
      platformName: 'Amazon Linux', platformVersion: '2023', iPAddress: instanceAddress(c),
      computerName: `ip-${instanceAddress(c).replaceAll('.', '-')}.${internalDomain(c.region)}`,
      agentName: 'amazon-ssm-agent', availabilityZone: availabilityZone(c.rng, c.region),
    }),
  },
  {
    source: 'ssm.amazonaws.com', name: 'ListInstanceAssociations', readOnly: true,
    request: (c) => ({ instanceId: someInstance(c), maxResults: 20 }),
  },
  {
    source: 'ssm.amazonaws.com', name: 'GetParameter', readOnly: true,
    request: (c) => ({ name: c.rng.pick(c.account.parameters), withDecryption: c.rng.chance(0.5) }),
    notFound: () => ['ParameterNotFound', 'Parameter not found.'],
  },
  {
    source: 'ssm.amazonaws.com', name: 'GetParameters', readOnly: true,
    request: (c) => ({ names: [c.rng.pick(c.account.parameters), c.rng.pick(c.account.parameters)], withDecryption: true }),
  },
  {
    source: 'secretsmanager.amazonaws.com', name: 'GetSecretValue', readOnly: true,
    request: (c) => ({ secretId: c.rng.pick(c.account.secrets) }),
    notFound: () => ["ResourceNotFoundException", "Secrets Manager can't find the specified secret."],
  },
  // Logs, CloudWatch, CloudTrail
  {
    source: 'logs.amazonaws.com', name: 'CreateLogStream', readOnly: false,
    request: (c) => ({
      logGroupName: c.actor.functionName ? `/aws/lambda/${c.actor.functionName}` : `/${c.account.company}/${c.rng.pick(APPS)}/application`,
      logStreamName: c.actor.functionName
        ? `${dateFolders(c.time)}/[$LATEST]${c.rng.hex(32)}`
        : `${someInstance(c)}/${c.rng.hex(12)}`,
    }),
  },
  { source: 'logs.amazonaws.com', name: 'DescribeLogGroups', readOnly: true, request: () => ({ limit: 50 }) },
  { source: 'monitoring.amazonaws.com', name: 'DescribeAlarms', readOnly: true, request: () => ({ maxRecords: 100 }) },
  {
    source: 'monitoring.amazonaws.com', name: 'PutMetricAlarm', readOnly: false,
    request: (c) => ({
      alarmName: `${c.rng.pick(APPS)}-high-5xx`, metricName: 'HTTPCode_Target_5XX_Count', namespace: 'AWS/ApplicationELB',
      statistic: 'Sum', period: 60, evaluationPeriods: 5, threshold: 10.0, comparisonOperator: 'GreaterThanThreshold',
    }),
  },
  {
    source: 'cloudtrail.amazonaws.com', name: 'LookupEvents', readOnly: true,
    request: (c) => ({ maxResults: 50, lookupAttributes: [{ attributeKey: 'EventName', attributeValue: c.rng.pick(['ConsoleLogin', 'RunInstances', 'CreateUser']) }] }),
  },
  { source: 'cloudtrail.amazonaws.com', name: 'DescribeTrails', readOnly: true, request: () => ({ includeShadowTrails: true, trailNameList: [] }) },
  // Lambda, DynamoDB, ECR, RDS, ELB, Auto Scaling
  { source: 'lambda.amazonaws.com', name: 'ListFunctions20150331', readOnly: true, request: () => null },
  {
    source: 'lambda.amazonaws.com', name: 'GetFunction20150331v2', readOnly: true,
    request: (c) => ({ functionName: someFunction(c) }),
  },
  {
    source: 'lambda.amazonaws.com', name: 'UpdateFunctionCode20150331v2', readOnly: false,
    request: (c) => ({ functionName: someFunction(c), s3Bucket: someBucket(c), s3Key: `builds/${c.rng.hex(40)}.zip`, publish: true }),
    response: (c) => ({
      functionName: someFunction(c), runtime: 'nodejs20.x', handler: 'index.handler', codeSize: c.rng.int(10_000, 9_000_000),
      codeSha256: c.rng.alnum(43) + '=', version: String(c.rng.int(2, 90)), lastModified: isoSeconds(c.time).replace('Z', '.000+0000'), state: 'Active',
    }),
  },
  {
    source: 'dynamodb.amazonaws.com', name: 'DescribeTable', readOnly: true,
    request: (c) => ({ tableName: c.rng.pick(c.estate.tables) }),
    notFound: (c) => ['ResourceNotFoundException', `Requested resource not found: Table: ${c.rng.pick(APPS)}-archive not found`],
  },
  { source: 'ecr.amazonaws.com', name: 'GetAuthorizationToken', readOnly: true, request: () => ({ registryIds: [] }) },
  {
    source: 'ecr.amazonaws.com', name: 'BatchGetImage', readOnly: true,
    request: (c) => ({
      repositoryName: `${c.account.company}/${c.rng.pick(APPS)}`, registryId: c.account.accountId,
      imageIds: [{ imageTag: c.rng.chance(0.5) ? 'latest' : c.rng.hex(7) }],
      acceptedMediaTypes: ['application/vnd.docker.distribution.manifest.v2+json', 'application/vnd.oci.image.manifest.v1+json'],
    }),
  },
  { source: 'rds.amazonaws.com', name: 'DescribeDBInstances', readOnly: true, request: () => null },
  { source: 'elasticloadbalancing.amazonaws.com', name: 'DescribeLoadBalancers', readOnly: true, request: () => ({ pageSize: 400 }) },
  {
    source: 'elasticloadbalancing.amazonaws.com', name: 'DescribeTargetHealth', readOnly: true,
    request: (c) => ({ targetGroupArn: `arn:aws:elasticloadbalancing:${c.region}:${c.account.accountId}:targetgroup/${c.rng.pick(APPS)}-tg/${c.rng.hex(16)}` }),
  },
  { source: 'autoscaling.amazonaws.com', name: 'DescribeAutoScalingGroups', readOnly: true, request: () => ({ maxRecords: 100 }) },
];

const SPECS_BY_NAME = new Map(EVENT_SPECS.map((spec) => [spec.name, spec]));

function specNamed(name: string): EventSpec {
  const spec = SPECS_BY_NAME.get(name);
  if (!spec) throw new Error(`PROFILE_CALLS names an event with no EventSpec: ${name}`);
  return spec;
}

function runInstancesRequest(c: CallContext): Json {
  return {
    instancesSet: items([{ imageId: `ami-${c.rng.hex(17)}`, minCount: 1, maxCount: 1 }]),
    instanceType: c.rng.pick(['t3.micro', 't3.large', 'm6i.xlarge', 'c6g.2xlarge']),
    blockDeviceMapping: {}, monitoring: { enabled: false }, disableApiTermination: false, disableApiStop: false,
    clientToken: c.rng.uuid(),
    tagSpecificationSet: items([{ resourceType: 'instance', tags: [{ key: 'Name', value: `${c.rng.pick(APPS)}-worker` }] }]),
  };
}

function runInstancesResponse(c: CallContext): Json {
  const id = instanceId(c.rng);
  const ip = privateIpIn(c.rng, c.estate.vpcPrefix);
  return {
    requestId: c.rng.uuid(), reservationId: `r-${c.rng.hex(17)}`, ownerId: c.account.accountId, groupSet: {},
    instancesSet: items([{
      instanceId: id, imageId: `ami-${c.rng.hex(17)}`, instanceState: { code: 0, name: 'pending' },
      privateDnsName: `ip-${ip.replaceAll('.', '-')}.${internalDomain(c.region)}`, amiLaunchIndex: 0, productCodes: {},
      instanceType: 't3.large', launchTime: c.time, placement: { availabilityZone: availabilityZone(c.rng, c.region), tenancy: 'default' },
      monitoring: { state: 'disabled' }, subnetId: `subnet-${c.rng.hex(17)}`, vpcId: c.estate.vpcId, privateIpAddress: ip,
      stateReason: { code: 'pending', message: 'pending' }, architecture: 'x86_64', rootDeviceType: 'ebs', rootDeviceName: '/dev/xvda',
      blockDeviceMapping: {}, virtualizationType: 'hvm', hypervisor: 'xen', sourceDestCheck: true, ebsOptimized: false, enaSupport: true,
      metadataOptions: { state: 'pending', httpTokens: 'required', httpPutResponseHopLimit: 2, httpEndpoint: 'enabled' },
    }]),
  };
}

/** Which calls each kind of actor makes, with relative frequencies. */
const PROFILE_CALLS: Record<Profile, Record<string, number>> = {
  'sso-console': {
    DescribeInstances: 10, DescribeSecurityGroups: 5, DescribeVolumes: 3, ListBuckets: 4, GetBucketAcl: 2, GetBucketPolicy: 2,
    GetBucketLocation: 3, ListRoles: 3, GetRole: 2, ListAttachedRolePolicies: 2, DescribeAlarms: 3, DescribeLogGroups: 3,
    LookupEvents: 3, DescribeTrails: 1, ListFunctions20150331: 2, DescribeDBInstances: 2, DescribeTargetHealth: 2,
    DescribeLoadBalancers: 2, DescribeAutoScalingGroups: 2, DescribeTable: 1, StopInstances: 0.3, StartInstances: 0.3,
    CreateTags: 0.5, AuthorizeSecurityGroupIngress: 0.3, GetSecretValue: 0.5,
  },
  'iam-console': {
    ConsoleLogin: 2, DescribeInstances: 6, ListBuckets: 4, GetBucketLocation: 2, DescribeAlarms: 2, ListUsers: 2,
    GetAccountSummary: 1, DescribeLogGroups: 2, DescribeSecurityGroups: 2,
  },
  'iam-cli': {
    GetCallerIdentity: 5, DescribeInstances: 6, ListBuckets: 4, GetBucketLocation: 2, DescribeRegions: 2, ListUsers: 2,
    ListRoles: 1, GetParameter: 2, GetSecretValue: 1, AssumeRole: 3, DescribeSnapshots: 1, CreateSnapshot: 0.3,
    CreateAccessKey: 0.1, CreateUser: 0.05, AttachRolePolicy: 0.05,
  },
  ci: {
    DescribeInstances: 5, DescribeSecurityGroups: 4, DescribeVolumes: 2, DescribeNetworkInterfaces: 2, DescribeAddresses: 1,
    GetRole: 3, ListAttachedRolePolicies: 2, GetPolicy: 2, GetPolicyVersion: 2, GetBucketPolicy: 3, GetBucketVersioning: 2,
    GetBucketEncryption: 2, GetBucketAcl: 2, DescribeDBInstances: 1, DescribeLoadBalancers: 1, DescribeTargetHealth: 1,
    GetFunction20150331v2: 2, DescribeTable: 1, GetCallerIdentity: 3, GetAuthorizationToken: 1, CreateTags: 1,
    RunInstances: 0.3, TerminateInstances: 0.1, AuthorizeSecurityGroupIngress: 0.3, PutBucketPolicy: 0.2,
    UpdateFunctionCode20150331v2: 0.5, AttachRolePolicy: 0.1, PutMetricAlarm: 0.3,
  },
  instance: {
    UpdateInstanceInformation: 6, ListInstanceAssociations: 6, GetParameter: 3, GetParameters: 2, GetSecretValue: 3,
    Decrypt: 6, GenerateDataKey: 2, GetCallerIdentity: 2, CreateLogStream: 3, DescribeTags: 2, GetAuthorizationToken: 3,
    BatchGetImage: 2, DescribeInstances: 1, AssumeRole: 0.5,
  },
  lambda: { Decrypt: 5, GetSecretValue: 4, GetParameter: 3, DescribeTable: 2, CreateLogStream: 2, GetCallerIdentity: 1, AssumeRole: 0.5 },
  service: { AssumeRole: 14, Decrypt: 8, GenerateDataKey: 4 },
  root: { ConsoleLogin: 3, ListBuckets: 2, DescribeRegions: 1, GetAccountSummary: 2, ListUsers: 1 },
};

/** How often each kind of actor makes management calls, and S3 data calls. */
const MANAGEMENT_ACTOR_WEIGHTS: Record<Profile, number> = {
  'sso-console': 10, 'iam-console': 3, 'iam-cli': 18, ci: 12, instance: 26, lambda: 10, service: 24, root: 0.3,
};
// Services write objects too: Config snapshots, load balancer access logs.
const DATA_ACTOR_WEIGHTS: Partial<Record<Profile, number>> = { instance: 50, lambda: 20, service: 15, 'iam-cli': 8, ci: 5, 'sso-console': 2 };

const DATA_EVENT_SHARE = 0.2;
const ERROR_SHARE = 0.03;

const SERVICE_INVOKERS = [
  'ec2.amazonaws.com', 'lambda.amazonaws.com', 'ecs-tasks.amazonaws.com', 'ssm.amazonaws.com', 'config.amazonaws.com',
  'autoscaling.amazonaws.com', 'elasticloadbalancing.amazonaws.com', 'cloudformation.amazonaws.com',
] as const;

function buildAccountEstate(rng: Random, accountId: string, regions: readonly string[]): AccountEstate {
  const company = rng.pick(COMPANIES);
  const env = rng.pick(ENVIRONMENTS);
  const buckets = [
    `${company}-${env}-assets`, `${company}-${env}-uploads`, `${company}-datalake-raw`,
    `${company}-backups-${rng.hex(6)}`, `${company}-${env}-reports`, `${company}-${env}-logs`,
  ];
  const roles = [
    ...APPS.slice(0, 6).map((app) => `${app}-instance-role`),
    ...APPS.slice(3, 9).map((app) => `${app}-lambda-role`),
    'github-actions-deploy', 'terraform-ci', 'OrganizationAccountAccessRole', 'AWSServiceRoleForAutoScaling',
  ];
  const users = Array.from({ length: 6 }, () => `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}`).concat(['deploy-bot', 'backup-legacy']);
  const secrets = APPS.slice(0, 6).map((app) => `${env}/${app}/${rng.pick(['db-credentials', 'api-key', 'oauth-client'])}`);
  const parameters = APPS.flatMap((app) => [`/${env}/${app}/db_host`, `/${env}/${app}/feature_flags`]);
  const regionEstates = new Map<string, RegionEstate>();
  for (const region of regions) {
    const prefix = vpcPrefix(rng);
    regionEstates.set(region, {
      region,
      vpcId: vpcId(rng),
      vpcPrefix: prefix,
      instances: Array.from({ length: rng.int(6, 24) }, () => instanceId(rng)),
      kmsKeys: Array.from({ length: 4 }, () => rng.uuid()),
      functions: APPS.slice(3, 9).map((app) => `${app}-${env}-${rng.pick(['handler', 'worker', 'consumer'])}`),
      tables: APPS.slice(0, 5).map((app) => `${app}-${env}`),
      natIps: awsIpPool(rng, 2),
      vpcEndpointId: `vpce-${rng.hex(17)}`,
    });
  }
  return { accountId, company, buckets, roles, users, secrets, parameters, regions: regionEstates };
}

function assumedRoleIdentity(
  accountId: string,
  roleId: string,
  roleName: string,
  rolePath: string,
  session: string,
  extraContext: Record<string, unknown> = {},
): Actor['identity'] {
  return (_time, sessionKey, sessionStart) => ({
    type: 'AssumedRole',
    principalId: `${roleId}:${session}`,
    arn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/${session}`,
    accountId,
    accessKeyId: sessionKey,
    sessionContext: {
      sessionIssuer: { type: 'Role', principalId: roleId, arn: `arn:aws:iam::${accountId}:role/${rolePath}${roleName}`, accountId, userName: roleName },
      attributes: { creationDate: isoSeconds(sessionStart), mfaAuthenticated: 'false' },
      ...extraContext,
    },
  });
}

const PEOPLE: ReadonlySet<Profile> = new Set(['sso-console', 'iam-console', 'iam-cli', 'root']);

function baseActor(rng: Random, profile: Profile, accountId: string, arn: string): Omit<Actor, 'identity' | 'source' | 'userAgent'> {
  // Start hours in UTC spread people over time zones (Europe, the Americas).
  const workday = PEOPLE.has(profile) ? { start: rng.pick([6, 7, 8, 9, 13, 14, 15]), hours: rng.int(8, 10) } : undefined;
  return { profile, accountId, arn, sessionPhase: rng.int(0, HOUR_MS - 1), sessionKeys: new Map(), ...(workday ? { workday } : {}) };
}

/** Whether the actor would be working at `time`: always for machines; weekday working hours for people. */
function atWork(actor: Actor, time: number): boolean {
  if (!actor.workday) return true;
  const date = new Date(time);
  const weekday = date.getUTCDay();
  if (weekday === 0 || weekday === 6) return false;
  return (date.getUTCHours() - actor.workday.start + 24) % 24 < actor.workday.hours;
}

/** Re-draws a few times for someone at work; a person who keeps coming up works late now and then. */
function pickActor(rng: Random, actors: Weighted<Actor>, time: number): Actor {
  let actor = actors.pick(rng);
  for (let tries = 0; tries < 8 && !atWork(actor, time); tries++) actor = actors.pick(rng);
  return actor;
}

/** The people, pipelines, workloads and services active in one account. */
function buildActors(rng: Random, account: AccountEstate, regions: readonly string[]): Actor[] {
  const acct = account.accountId;
  const officeIps = publicIpPool(rng, 4);
  const homeIps = publicIpPool(rng, 8);
  // Hosted CI runners come from their cloud's ranges, not from ISPs all over the world.
  const runnerIps = { 'github-actions-deploy': prefixPool(rng, AZURE_PREFIXES, 40), 'terraform-ci': awsIpPool(rng, 6) };
  const actors: Actor[] = [];

  for (const email of Array.from({ length: 6 }, () => `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}@${account.company}.com`)) {
    const roleName = `AWSReservedSSO_${rng.pick(['AdministratorAccess', 'ReadOnlyAccess', 'PowerUserAccess'])}_${rng.hex(16)}`;
    const roleId = `AROA${rng.upperAlnum(17)}`;
    const ip = rng.pick([...officeIps, ...homeIps]);
    actors.push({
      ...baseActor(rng, 'sso-console', acct, `arn:aws:sts::${acct}:assumed-role/${roleName}/${email}`),
      identity: assumedRoleIdentity(acct, roleId, roleName, `aws-reserved/sso.amazonaws.com/${regions[0]}/`, email, { webIdFederationData: {} }),
      source: () => ({ ip }),
      userAgent: (r) => (r.chance(0.7) ? r.pick(BROWSER_AGENTS) : r.pick(['console.amazonaws.com', 'console.ec2.amazonaws.com', 'AWS Internal'])),
    });
  }

  for (const userName of account.users) {
    const principalId = `AIDA${rng.upperAlnum(17)}`;
    const arn = `arn:aws:iam::${acct}:user/${userName}`;
    const accessKey = `AKIA${rng.upperAlnum(16)}`;
    const ip = rng.pick(homeIps);
    const agent = rng.pick(CLI_AGENTS);
    const isConsoleUser = !userName.includes('-') && rng.chance(0.5);
    actors.push({
      ...baseActor(rng, isConsoleUser ? 'iam-console' : 'iam-cli', acct, arn),
      identity: isConsoleUser
        ? (_t, sessionKey, sessionStart) => ({
            type: 'IAMUser', principalId, arn, accountId: acct, accessKeyId: sessionKey, userName,
            sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: { creationDate: isoSeconds(sessionStart), mfaAuthenticated: 'true' } },
          })
        : () => ({ type: 'IAMUser', principalId, arn, accountId: acct, accessKeyId: accessKey, userName }),
      source: () => ({ ip }),
      userAgent: isConsoleUser ? (r) => r.pick(BROWSER_AGENTS) : () => agent,
    });
  }

  for (const roleName of ['github-actions-deploy', 'terraform-ci'] as const) {
    const roleId = `AROA${rng.upperAlnum(17)}`;
    for (let i = 0; i < 3; i++) {
      const session = roleName === 'terraform-ci' ? `terraform-${rng.digits(19)}` : 'GitHubActions';
      actors.push({
        ...baseActor(rng, 'ci', acct, `arn:aws:sts::${acct}:assumed-role/${roleName}/${session}`),
        identity: assumedRoleIdentity(acct, roleId, roleName, '', session),
        source: (r) => ({ ip: r.pick(runnerIps[roleName]) }),
        userAgent: (r) => r.pick(CI_AGENTS),
      });
    }
  }

  for (const region of regions) {
    const estate = account.regions.get(region) as RegionEstate;
    for (const instance of estate.instances) {
      const roleName = rng.pick(account.roles.filter((role) => role.endsWith('-instance-role')));
      const roleId = `AROA${rng.upperAlnum(17)}`;
      const privateIp = privateIpIn(rng, estate.vpcPrefix);
      const appAgent = rng.pick(INSTANCE_AGENTS.slice(1));
      actors.push({
        ...baseActor(rng, 'instance', acct, `arn:aws:sts::${acct}:assumed-role/${roleName}/${instance}`),
        homeRegion: region,
        instanceId: instance,
        privateIp,
        identity: assumedRoleIdentity(acct, roleId, roleName, '', instance, { ec2RoleDelivery: '2.0' }),
        // Calls through a VPC endpoint show the private address and the endpoint ID.
        source: (r) => (r.chance(0.3) ? { ip: privateIp, vpcEndpointId: estate.vpcEndpointId } : { ip: r.pick(estate.natIps) }),
        userAgent: (_r, eventSource) => (eventSource === 'ssm.amazonaws.com' ? INSTANCE_AGENTS[0] : appAgent),
      });
    }
    const awsIps = awsIpPool(rng, 12);
    for (const functionName of estate.functions) {
      const roleName = rng.pick(account.roles.filter((role) => role.endsWith('-lambda-role')));
      const roleId = `AROA${rng.upperAlnum(17)}`;
      const agent = rng.pick(LAMBDA_AGENTS);
      actors.push({
        ...baseActor(rng, 'lambda', acct, `arn:aws:sts::${acct}:assumed-role/${roleName}/${functionName}`),
        homeRegion: region,
        functionName,
        identity: assumedRoleIdentity(acct, roleId, roleName, '', functionName),
        source: (r) => ({ ip: r.pick(awsIps) }),
        userAgent: () => agent,
      });
    }
  }

  for (const invokedBy of SERVICE_INVOKERS) {
    actors.push({
      ...baseActor(rng, 'service', acct, invokedBy),
      identity: () => ({ type: 'AWSService', invokedBy }),
      source: () => ({ ip: invokedBy }),
      userAgent: () => invokedBy,
    });
  }

  const rootIp = rng.pick(officeIps);
  actors.push({
    ...baseActor(rng, 'root', acct, `arn:aws:iam::${acct}:root`),
    identity: (_t, sessionKey, sessionStart) => ({
      type: 'Root', principalId: acct, arn: `arn:aws:iam::${acct}:root`, accountId: acct, accessKeyId: sessionKey,
      sessionContext: { sessionIssuer: {}, webIdFederationData: {}, attributes: { creationDate: isoSeconds(sessionStart), mfaAuthenticated: 'true' } },
    }),
    source: () => ({ ip: rootIp }),
    userAgent: (r) => r.pick(BROWSER_AGENTS),
  });
  return actors;
}

/** Everything needed to write records for one account × region delivery stream. */
interface TrailStream {
  account: AccountEstate;
  estate: RegionEstate;
  managementActors: Weighted<Actor>;
  dataActors: Weighted<Actor>;
  /** Per actor: the calls it makes here (global calls only in us-east-1, where AWS logs them). */
  callsByActor: Map<Actor, Weighted<EventSpec>>;
  routine: RoutinePlanner;
}

function buildTrailStream(account: AccountEstate, actors: Actor[], routine: RoutinePlanner, region: string): TrailStream {
  const here = actors.filter((actor) => actor.homeRegion === undefined || actor.homeRegion === region);
  const callsByActor = new Map<Actor, Weighted<EventSpec>>();
  for (const actor of here) {
    const calls = Object.entries(PROFILE_CALLS[actor.profile])
      .map(([name, weight]) => [specNamed(name), weight] as const)
      .filter(([spec]) => region === 'us-east-1' || !spec.global);
    callsByActor.set(actor, new Weighted(calls));
  }
  // Weights are per profile; spread them over the actors of that profile.
  const perProfile = (weights: Partial<Record<Profile, number>>): Weighted<Actor> => {
    const counts = new Map<Profile, number>();
    for (const actor of here) counts.set(actor.profile, (counts.get(actor.profile) ?? 0) + 1);
    return new Weighted(here.map((actor) => [actor, (weights[actor.profile] ?? 0) / (counts.get(actor.profile) as number)] as const));
  };
  return {
    account,
    estate: account.regions.get(region) as RegionEstate,
    managementActors: perProfile(MANAGEMENT_ACTOR_WEIGHTS),
    dataActors: perProfile(DATA_ACTOR_WEIGHTS),
    callsByActor,
    routine,
  };
}

/** The hour-long credential session the actor is in at `time`: its start and access key. */
function actorSession(rng: Random, actor: Actor, time: number): { key: string; start: number } {
  const index = Math.floor((time - actor.sessionPhase) / HOUR_MS);
  let key = actor.sessionKeys.get(index);
  if (key === undefined) {
    key = `ASIA${rng.upperAlnum(16)}`;
    actor.sessionKeys.set(index, key);
  }
  return { key, start: index * HOUR_MS + actor.sessionPhase };
}

function iamAction(spec: EventSpec): string {
  const service = spec.source.split('.')[0] === 'monitoring' ? 'cloudwatch' : spec.source.split('.')[0];
  return `${service}:${spec.name.replace(/\d{8}(v\d)?$/, '')}`;
}

/** errorCode and errorMessage the way each service words a failure. */
function callError(c: CallContext, spec: EventSpec): [string, string] {
  const roll = c.rng.next();
  if (roll < 0.2 && spec.notFound) return spec.notFound(c);
  if (roll < 0.3 && spec.source !== 'ec2.amazonaws.com') return ['ThrottlingException', 'Rate exceeded'];
  if (spec.source === 'ec2.amazonaws.com') {
    return ['Client.UnauthorizedOperation', `You are not authorized to perform this operation. User: ${c.actor.arn} is not authorized to perform: ${iamAction(spec)} on resource: arn:aws:ec2:${c.region}:${c.account.accountId}:instance/* because no identity-based policy allows the ${iamAction(spec)} action. Encoded authorization failure message: ${c.rng.alnum(220)}`];
  }
  if (spec.source === 's3.amazonaws.com') return ['AccessDenied', 'Access Denied'];
  const code = ['iam.amazonaws.com', 'sts.amazonaws.com'].includes(spec.source) ? 'AccessDenied' : 'AccessDeniedException';
  return [code, `User: ${c.actor.arn} is not authorized to perform: ${iamAction(spec)} because no identity-based policy allows the ${iamAction(spec)} action`];
}

function tlsHost(spec: EventSpec, region: string, request: Json): string {
  if (spec.source === 'signin.amazonaws.com') return 'signin.aws.amazon.com';
  if (spec.global) return spec.source;
  const host = request?.Host;
  if (typeof host === 'string') return host;
  return `${spec.source.replace('.amazonaws.com', '')}.${region}.amazonaws.com`;
}

const S3_DATA_CALLS = new Weighted<string>([['GetObject', 60], ['PutObject', 25], ['HeadObject', 10], ['DeleteObject', 3], ['ListObjects', 2]]);
const OBJECT_EXTENSIONS = ['json', 'parquet', 'csv.gz', 'png', 'pdf', 'zip', 'log.gz'] as const;

/** S3 object-level (data) call: resources[], additionalEventData with bytes transferred. */
function s3DataRecord(c: CallContext, agent: string, ip: string): Record<string, unknown> {
  const byService = c.actor.profile === 'service';
  const name = byService ? 'PutObject' : S3_DATA_CALLS.pick(c.rng);
  const bucket = someBucket(c);
  const host = bucketHost(bucket, c.region);
  const folder = c.rng.chance(0.3) ? `${c.rng.pick(APPS)}/${dateFolders(c.time)}` : c.rng.pick(APPS);
  const key = `${folder}/${c.rng.hex(16)}.${c.rng.pick(OBJECT_EXTENSIONS)}`;
  const listing = name === 'ListObjects';
  const failed = c.rng.chance(ERROR_SHARE);
  const size = c.rng.logInt(200, 50_000_000);
  const bytesOut = failed ? 0 : name === 'GetObject' ? size : listing ? c.rng.int(300, 40_000) : 0;
  const bytesIn = !failed && name === 'PutObject' ? size : 0;
  const record: Record<string, unknown> = {
    eventVersion: c.rng.chance(0.6) ? '1.10' : '1.09',
    userIdentity: identityFor(c),
    eventTime: isoSeconds(c.time),
    eventSource: 's3.amazonaws.com',
    eventName: name,
    awsRegion: c.region,
    sourceIPAddress: ip,
    userAgent: agent.startsWith('aws-cli/1') ? `[${agent}]` : agent,
  };
  if (failed) {
    const [code, message] = name === 'GetObject' && c.rng.chance(0.5) ? ['NoSuchKey', 'The specified key does not exist.'] : ['AccessDenied', 'Access Denied'];
    record.errorCode = code;
    record.errorMessage = message;
  }
  record.requestParameters = listing
    ? { 'list-type': '2', bucketName: bucket, 'encoding-type': 'url', prefix: `${c.rng.pick(APPS)}/`, Host: host }
    : { bucketName: bucket, Host: host, key };
  record.responseElements = failed || name !== 'PutObject'
    ? null
    : c.rng.chance(0.6)
      ? { 'x-amz-server-side-encryption': 'AES256' }
      : { 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': kmsKeyArn(c), 'x-amz-version-id': c.rng.alnum(32) };
  record.additionalEventData = {
    SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: bytesIn, AuthenticationMethod: 'AuthHeader',
    'x-amz-id-2': `${c.rng.alnum(74)}=`, bytesTransferredOut: bytesOut,
  };
  record.requestID = c.rng.upperAlnum(16);
  record.eventID = c.rng.uuid();
  record.readOnly = name === 'GetObject' || name === 'HeadObject' || listing;
  record.resources = [
    listing
      ? { type: 'AWS::S3::Object', ARNPrefix: `arn:aws:s3:::${bucket}/${c.rng.pick(APPS)}/` }
      : { type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${bucket}/${key}` },
    s3BucketResource(c, bucket),
  ];
  record.eventType = 'AwsApiCall';
  record.managementEvent = false;
  record.recipientAccountId = c.account.accountId;
  record.eventCategory = 'Data';
  if (!byService) record.tlsDetails = { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host };
  return record;
}

function identityFor(c: CallContext): Record<string, unknown> {
  const session = actorSession(c.rng, c.actor, c.time);
  return c.actor.identity(c.time, session.key, session.start);
}

/** A management call, fields in the order CloudTrail writes them. */
function managementRecord(c: CallContext, spec: EventSpec, agent: string, source: ActorSource): Record<string, unknown> {
  const isService = source.ip.endsWith('.amazonaws.com');
  const failed = c.rng.chance(ERROR_SHARE);
  const signIn = spec.eventType === 'AwsConsoleSignIn';
  const request = spec.request(c);
  const record: Record<string, unknown> = {
    eventVersion: signIn ? '1.05' : c.rng.chance(0.3) ? '1.08' : '1.09',
    userIdentity: identityFor(c),
    eventTime: isoSeconds(c.time),
    eventSource: spec.source,
    eventName: spec.name,
    awsRegion: spec.global ? 'us-east-1' : c.region,
    sourceIPAddress: source.ip,
    userAgent: agent,
  };
  // A failed console sign-in has no errorCode, only the message and a Failure response.
  if (failed && signIn) record.errorMessage = 'Failed authentication';
  else if (failed) [record.errorCode, record.errorMessage] = callError(c, spec);
  record.requestParameters = request;
  record.responseElements = signIn
    ? { ConsoleLogin: failed ? 'Failure' : 'Success' }
    : failed || !spec.response ? null : spec.response(c);
  if (signIn) {
    record.additionalEventData = { LoginTo: 'https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true', MobileVersion: 'No', MFAUsed: c.actor.profile === 'root' ? 'Yes' : c.rng.chance(0.8) ? 'Yes' : 'No' };
  } else {
    record.requestID = spec.source === 's3.amazonaws.com' ? c.rng.upperAlnum(16) : c.rng.uuid();
  }
  record.eventID = c.rng.uuid();
  record.readOnly = spec.readOnly;
  if (spec.resources && !failed) record.resources = spec.resources(c);
  record.eventType = spec.eventType ?? 'AwsApiCall';
  record.managementEvent = true;
  record.recipientAccountId = c.account.accountId;
  if (source.vpcEndpointId) record.vpcEndpointId = source.vpcEndpointId;
  record.eventCategory = 'Management';
  if (!isService) {
    record.tlsDetails = {
      tlsVersion: c.rng.chance(0.85) ? 'TLSv1.3' : 'TLSv1.2',
      cipherSuite: c.rng.pick(TLS_CIPHERS),
      clientProvidedHostHeader: tlsHost(spec, c.region, request),
    };
  }
  if (c.actor.profile === 'sso-console' && agent !== 'AWS Internal') record.sessionCredentialFromConsole = 'true';
  return record;
}

function cloudTrailRecord(rng: Random, stream: TrailStream, region: string, time: number): Record<string, unknown> {
  const isData = rng.chance(DATA_EVENT_SHARE);
  const actor = pickActor(rng, isData ? stream.dataActors : stream.managementActors, time);
  const c: CallContext = { rng, account: stream.account, estate: stream.estate, region, actor, time, chosen: {} };
  const source = actor.source(rng);
  if (isData) return s3DataRecord(c, actor.userAgent(rng, 's3.amazonaws.com'), source.ip);
  const spec = (stream.callsByActor.get(actor) as Weighted<EventSpec>).pick(rng);
  return managementRecord(c, spec, actor.userAgent(rng, spec.source), source);
}

// ───────────────────────────── routine jobs ─────────────────────────────
//
// The scheduled work of a real organisation that touches risky APIs on purpose: backups and their retention,
// disaster-recovery copies, Terraform applies, offboarding, a vendor's integration, MFA sessions, triage.
// Each job has fixed people or roles and a schedule; its calls replace random ones in the files of the
// stream (account × region) they are logged in, so record counts stay what was asked for.

const DAY_MS = 24 * HOUR_MS;
const TERRAFORM_AGENT = CI_AGENTS[0];
const AWS_VAULT_AGENT = 'aws-vault/v7.2.0 aws-sdk-go-v2/1.24.0 os/macos lang/go#1.21.5 md/GOOS#darwin md/GOARCH#arm64 api/sts#1.26.7';
/** A monitoring vendor's AWS account, assuming its integration role in ours with an external ID. */
const VENDOR_ACCOUNT = '464622532012';

/** One call of a routine job. */
interface RoutineCall {
  time: number;
  region: string;
  actor: Actor;
  spec: EventSpec;
  /** An S3 object write with a customer-provided key (a data event). */
  sseCObject?: { bucket: string; key: string };
}

interface RoutineJobContext {
  rng: Random;
  account: AccountEstate;
  /** The busiest region and a second one (for disaster-recovery copies); the same with one region. */
  home: string;
  drRegion: string;
  actors: RoutineActors;
}

/** A job's calls on the day starting at `day` (UTC midnight). */
type RoutineJob = (c: RoutineJobContext, day: number) => RoutineCall[];

/** A call spec built in place: fixed request and response, no random parameters. */
function fixedSpec(source: string, name: string, request: Json, response: Json = null, options: { global?: boolean; readOnly?: boolean; resources?: Record<string, unknown>[] } = {}): EventSpec {
  return {
    source, name, readOnly: options.readOnly ?? false, ...(options.global ? { global: true } : {}),
    request: () => request, response: () => response, ...(options.resources ? { resources: () => options.resources as Record<string, unknown>[] } : {}),
  };
}

const at = (day: number, hour: number, minute = 0, second = 0): number => day + hour * HOUR_MS + minute * 60_000 + second * 1000;
const isWeekday = (day: number): boolean => ![0, 6].includes(new Date(day).getUTCDay());
const dayName = (day: number): string => new Date(day).toISOString().slice(0, 10);

/** The people and roles the routine jobs run as. */
interface RoutineActors {
  snapshotLambda: Actor;
  backupRole: Actor;
  backupService: Actor;
  drCopier: Actor;
  dba: Actor;
  terraform: Actor;
  helpdesk: Actor;
  vendor: Actor;
  developers: Actor[];
  platformEngineer: Actor;
  archiver: Actor;
  analysts: Actor[];
}

function roleActor(rng: Random, profile: Profile, acct: string, roleName: string, session: string, agent: (r: Random) => string, ip: (r: Random) => string, extra: Record<string, unknown> = {}): Actor {
  return {
    ...baseActor(rng, profile, acct, `arn:aws:sts::${acct}:assumed-role/${roleName}/${session}`),
    identity: assumedRoleIdentity(acct, `AROA${rng.upperAlnum(17)}`, roleName, '', session, extra),
    source: (r) => ({ ip: ip(r) }),
    userAgent: agent,
  };
}

function ssoActor(rng: Random, acct: string, permissionSet: string, email: string, ip: string, region: string, agent: (r: Random) => string): Actor {
  const roleName = `AWSReservedSSO_${permissionSet}_${rng.hex(16)}`;
  return {
    ...baseActor(rng, 'sso-console', acct, `arn:aws:sts::${acct}:assumed-role/${roleName}/${email}`),
    identity: assumedRoleIdentity(acct, `AROA${rng.upperAlnum(17)}`, roleName, `aws-reserved/sso.amazonaws.com/${region}/`, email, { webIdFederationData: {} }),
    source: () => ({ ip }),
    userAgent: agent,
  };
}

function buildRoutineActors(rng: Random, account: AccountEstate, regions: readonly string[]): RoutineActors {
  const acct = account.accountId;
  const awsIps = awsIpPool(rng, 6);
  const office = publicIp(rng);
  const person = (): string => `${rng.pick(FIRST_NAMES)}.${rng.pick(LAST_NAMES)}@${account.company}.com`;
  const awsIp = (r: Random): string => r.pick(awsIps);
  const service = (invokedBy: string): Actor => ({
    ...baseActor(rng, 'service', acct, invokedBy),
    identity: () => ({ type: 'AWSService', invokedBy }),
    source: () => ({ ip: invokedBy }),
    userAgent: () => invokedBy,
  });
  const vendorIps = prefixPool(rng, AWS_PREFIXES, 4);
  const vendorPrincipal = `AROA${rng.upperAlnum(17)}:${rng.digits(10)}`;
  const developers = account.users.filter((user) => !user.includes('-')).slice(0, 3).map((userName) => {
    const arn = `arn:aws:iam::${acct}:user/${userName}`;
    const principalId = `AIDA${rng.upperAlnum(17)}`;
    const accessKeyId = `AKIA${rng.upperAlnum(16)}`;
    const ip = publicIp(rng);
    return {
      ...baseActor(rng, 'iam-cli', acct, arn),
      identity: () => ({ type: 'IAMUser', principalId, arn, accountId: acct, accessKeyId, userName }),
      source: () => ({ ip }),
      userAgent: () => AWS_VAULT_AGENT,
    } satisfies Actor;
  });
  const region = regions[0] as string;
  const browser = (r: Random): string => r.pick(BROWSER_AGENTS);
  return {
    snapshotLambda: roleActor(rng, 'lambda', acct, 'rds-snapshot-retention-role', 'rds-snapshot-retention', () => LAMBDA_AGENTS[1], awsIp),
    backupRole: invokedBy(roleActor(rng, 'service', acct, 'AWSBackupDefaultServiceRole', 'AWSBackup-AWSBackupDefaultServiceRole', () => 'backup.amazonaws.com', () => 'backup.amazonaws.com'), 'backup.amazonaws.com'),
    backupService: service('backup.amazonaws.com'),
    drCopier: roleActor(rng, 'ci', acct, 'dr-snapshot-copy', 'dr-nightly', () => CLI_AGENTS[4], awsIp),
    dba: ssoActor(rng, acct, 'DatabaseAdministrator', person(), office, region, browser),
    terraform: roleActor(rng, 'ci', acct, 'terraform-ci', `terraform-${rng.digits(19)}`, () => TERRAFORM_AGENT, awsIp),
    helpdesk: ssoActor(rng, acct, 'IAMHelpDesk', person(), office, region, browser),
    vendor: {
      ...baseActor(rng, 'service', VENDOR_ACCOUNT, `arn:aws:iam::${VENDOR_ACCOUNT}:root`),
      identity: () => ({ type: 'AWSAccount', principalId: vendorPrincipal, accountId: VENDOR_ACCOUNT }),
      source: (r) => ({ ip: r.pick(vendorIps) }),
      userAgent: () => 'aws-sdk-go/1.44.327 (go1.20.14; linux; amd64)',
    },
    developers,
    platformEngineer: ssoActor(rng, acct, 'PowerUserAccess', person(), office, region, () => CLI_AGENTS[0]),
    archiver: roleActor(rng, 'instance', acct, 'records-archiver-task-role', rng.hex(32), () => INSTANCE_AGENTS[1], awsIp),
    analysts: [person(), person()].map((email) => ssoActor(rng, acct, 'SecurityAnalyst', email, office, region, browser)),
  };
}

/** A service acting through the customer's role: the role's session, with the service named in `invokedBy`. */
function invokedBy(actor: Actor, service: string): Actor {
  return { ...actor, identity: (time, key, start) => ({ ...actor.identity(time, key, start), invokedBy: service }) };
}

// Actors of people: each routine person keeps their own working hours, so their calls fall inside them.
const workHour = (actor: Actor, offset: number): number => ((actor.workday?.start ?? 9) + offset) % 24;

const rdsArn = (c: RoutineJobContext, region: string, kind: string, name: string): string => `arn:aws:rds:${region}:${c.account.accountId}:${kind}:${name}`;
const DATABASE = 'orders-prod';

/** A Lambda that takes a manual snapshot of the orders database each night and deletes the one a week older. */
const snapshotRetention: RoutineJob = (c, day) => {
  const name = (d: number): string => `${DATABASE}-nightly-${dayName(d)}`;
  const time = at(day, 3, 10, c.rng.int(0, 59));
  return [
    {
      time, region: c.home, actor: c.actors.snapshotLambda,
      spec: fixedSpec('rds.amazonaws.com', 'CreateDBSnapshot', { dBSnapshotIdentifier: name(day), dBInstanceIdentifier: DATABASE, tags: [{ key: 'retention', value: '7d' }] }, {
        dBSnapshotIdentifier: name(day), dBInstanceIdentifier: DATABASE, engine: 'postgres', allocatedStorage: 200, status: 'creating', port: 5432,
        availabilityZone: `${c.home}a`, vpcId: (c.account.regions.get(c.home) as RegionEstate).vpcId, masterUsername: 'orders_admin', engineVersion: '16.3',
        licenseModel: 'postgresql-license', snapshotType: 'manual', encrypted: true, storageType: 'gp3',
        dBSnapshotArn: rdsArn(c, c.home, 'snapshot', name(day)), iAMDatabaseAuthenticationEnabled: false, dbiResourceId: `db-${c.rng.upperAlnum(26)}`,
      }),
    },
    {
      time: time + 40_000, region: c.home, actor: c.actors.snapshotLambda,
      spec: fixedSpec('rds.amazonaws.com', 'DeleteDBSnapshot', { dBSnapshotIdentifier: name(day - 7 * DAY_MS) }, {
        dBSnapshotIdentifier: name(day - 7 * DAY_MS), dBInstanceIdentifier: DATABASE, snapshotType: 'manual', status: 'deleted', engine: 'postgres',
        dBSnapshotArn: rdsArn(c, c.home, 'snapshot', name(day - 7 * DAY_MS)),
      }),
    },
  ];
};

/** Disaster recovery: the night's snapshot copied to the second region, the copy of a week ago deleted there. */
const drCopy: RoutineJob = (c, day) => {
  if (c.drRegion === c.home) return [];
  const source = rdsArn(c, c.home, 'snapshot', `${DATABASE}-nightly-${dayName(day)}`);
  const target = (d: number): string => `${DATABASE}-dr-${dayName(d)}`;
  const time = at(day, 4, 5, c.rng.int(0, 59));
  return [
    {
      time, region: c.drRegion, actor: c.actors.drCopier,
      spec: fixedSpec('rds.amazonaws.com', 'CopyDBSnapshot', { sourceDBSnapshotIdentifier: source, targetDBSnapshotIdentifier: target(day), kmsKeyId: 'alias/aws/rds', copyTags: true, sourceRegion: c.home }, {
        dBSnapshotIdentifier: target(day), dBInstanceIdentifier: DATABASE, snapshotType: 'manual', status: 'pending', encrypted: true,
        sourceDBSnapshotIdentifier: source, sourceRegion: c.home, dBSnapshotArn: rdsArn(c, c.drRegion, 'snapshot', target(day)),
      }),
    },
    { time: time + 30_000, region: c.drRegion, actor: c.actors.drCopier, spec: fixedSpec('rds.amazonaws.com', 'DeleteDBSnapshot', { dBSnapshotIdentifier: target(day - 7 * DAY_MS) }, { dBSnapshotIdentifier: target(day - 7 * DAY_MS), snapshotType: 'manual', status: 'deleted' }) },
  ];
};

/** AWS Backup's daily plan: a snapshot through its service role, and the recovery point that expired deleted by the service. */
const backupPlan: RoutineJob = (c, day) => {
  const job = c.rng.hex(8);
  const time = at(day, 5, c.rng.int(0, 30));
  const expired = `arn:aws:rds:${c.home}:${c.account.accountId}:snapshot:awsbackup:job-${c.rng.hex(8)}-${c.rng.hex(4)}`;
  return [
    {
      time, region: c.home, actor: c.actors.backupRole,
      spec: fixedSpec('rds.amazonaws.com', 'CreateDBSnapshot', { dBSnapshotIdentifier: `awsbackup:job-${job}`, dBInstanceIdentifier: DATABASE, tags: [] }, { dBSnapshotIdentifier: `awsbackup:job-${job}`, dBInstanceIdentifier: DATABASE, snapshotType: 'awsbackup', status: 'creating', encrypted: true }),
    },
    { time: time + 20 * 60_000, region: c.home, actor: c.actors.backupService, spec: fixedSpec('backup.amazonaws.com', 'DeleteRecoveryPoint', { backupVaultName: 'Default', recoveryPointArn: expired }) },
  ];
};

/** A DBA reading the orders database's error log in the console on Monday, Wednesday and Friday. */
const dbaLogs: RoutineJob = (c, day) => {
  if (![1, 3, 5].includes(new Date(day).getUTCDay())) return [];
  const time = at(day, workHour(c.actors.dba, 1), c.rng.int(0, 59));
  return [0, 1].map((i) => ({
    time: time + i * 90_000, region: c.home, actor: c.actors.dba,
    spec: fixedSpec('rds.amazonaws.com', 'DownloadDBLogFilePortion', { dBInstanceIdentifier: DATABASE, logFileName: `error/postgresql.log.${dayName(day)}-${String(c.rng.int(0, 23)).padStart(2, '0')}`, marker: '0', numberOfLines: 10000 }, null, { readOnly: true }),
  }));
};

/** Terraform applies from CI on weekdays: bucket encryption, security groups, a permissions boundary, an EventBridge rule, SCPs. */
const terraformApplies: RoutineJob = (c, day) => {
  if (!isWeekday(day)) return [];
  const tf = c.actors.terraform;
  const bucket = c.account.buckets[c.rng.int(0, c.account.buckets.length - 1)] as string;
  const estate = c.account.regions.get(c.home) as RegionEstate;
  const key = `arn:aws:kms:${c.home}:${c.account.accountId}:key/${estate.kmsKeys[0] as string}`;
  const group = `sg-${c.rng.hex(17)}`;
  const scratch = `${c.account.company}-tf-scratch-${dayName(day).replaceAll('-', '')}`;
  const time = at(day, c.rng.int(13, 17), c.rng.int(0, 59));
  const s3Host = (b: string): string => bucketHost(b, c.home);
  // Each apply changes a few resources, each with its own chance.
  const calls: [EventSpec, number][] = [
    [fixedSpec('s3.amazonaws.com', 'PutBucketEncryption', {
      bucketName: bucket, Host: s3Host(bucket), encryption: '',
      ServerSideEncryptionConfiguration: { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/', Rule: { ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key }, BucketKeyEnabled: true } },
    }, null, { resources: [{ accountId: c.account.accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${bucket}` }] }), 0.5],
    // A preview environment's bucket torn down: its encryption configuration goes first.
    [fixedSpec('s3.amazonaws.com', 'DeleteBucketEncryption', { bucketName: scratch, Host: s3Host(scratch), encryption: '' }, null, { resources: [{ accountId: c.account.accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${scratch}` }] }), 0.3],
    [fixedSpec('s3.amazonaws.com', 'DeleteBucket', { bucketName: scratch, Host: s3Host(scratch) }, null, { resources: [{ accountId: c.account.accountId, type: 'AWS::S3::Bucket', ARN: `arn:aws:s3:::${scratch}` }] }), 0.3],
    [fixedSpec('ec2.amazonaws.com', 'AuthorizeSecurityGroupIngress', {
      groupId: group, ipPermissions: items([{ ipProtocol: 'tcp', fromPort: 443, toPort: 443, groups: {}, ipRanges: items([{ cidrIp: `${estate.vpcPrefix}.0.0/16`, description: 'internal HTTPS' }]), ipv6Ranges: {}, prefixListIds: {} }]),
    }, { requestId: c.rng.uuid(), _return: true, securityGroupRuleSet: items([{ groupOwnerId: c.account.accountId, groupId: group, securityGroupRuleId: `sgr-${c.rng.hex(17)}`, isEgress: false, ipProtocol: 'tcp', fromPort: 443, toPort: 443, cidrIpv4: `${estate.vpcPrefix}.0.0/16` }]) }), 0.5],
    [fixedSpec('ec2.amazonaws.com', 'RevokeSecurityGroupIngress', {
      groupId: group, ipPermissions: items([{ ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, groups: {}, ipRanges: items([{ cidrIp: `${estate.vpcPrefix}.0.0/16` }]), ipv6Ranges: {}, prefixListIds: {} }]),
    }, { requestId: c.rng.uuid(), _return: true }), 0.5],
    [fixedSpec('iam.amazonaws.com', 'PutRolePermissionsBoundary', { roleName: `${c.rng.pick(APPS)}-lambda-role`, permissionsBoundary: `arn:aws:iam::${c.account.accountId}:policy/workload-boundary` }, null, { global: true }), 0.5],
    [fixedSpec('iam.amazonaws.com', 'DeleteRolePermissionsBoundary', { roleName: `${c.rng.pick(APPS)}-preview-role` }, null, { global: true }), 0.3],
    [fixedSpec('events.amazonaws.com', 'PutRule', {
      name: `${c.rng.pick(APPS)}-nightly-report`, scheduleExpression: 'cron(0 6 * * ? *)', state: 'ENABLED', eventBusName: 'default',
    }, { ruleArn: `arn:aws:events:${c.home}:${c.account.accountId}:rule/${c.rng.pick(APPS)}-nightly-report` }), 0.5],
  ];
  // Terraform replaces a resource by deleting it and creating it again: here the rule sending GuardDuty findings to chat.
  if (new Date(day).getUTCDay() === 4) {
    const rule = { name: 'guardduty-findings-to-slack', eventBusName: 'default' };
    const pattern = JSON.stringify({ source: ['aws.guardduty'], 'detail-type': ['GuardDuty Finding'] });
    const target = { Id: 'slack-notifier', Arn: `arn:aws:lambda:${c.home}:${c.account.accountId}:function:slack-notifier` };
    calls.push(
      [fixedSpec('events.amazonaws.com', 'RemoveTargets', { rule: rule.name, eventBusName: 'default', ids: [target.Id], force: false }, { failedEntryCount: 0, failedEntries: [] }), 1],
      [fixedSpec('events.amazonaws.com', 'DeleteRule', { ...rule, force: false }), 1],
      [fixedSpec('events.amazonaws.com', 'PutRule', { ...rule, eventPattern: pattern, state: 'ENABLED', description: 'GuardDuty findings to #sec-alerts' }, { ruleArn: `arn:aws:events:${c.home}:${c.account.accountId}:rule/${rule.name}` }), 1],
      [fixedSpec('events.amazonaws.com', 'PutTargets', { rule: rule.name, eventBusName: 'default', targets: [target] }, { failedEntryCount: 0, failedEntries: [] }), 1],
    );
  }
  return calls
    .filter(([, chance]) => c.rng.chance(chance))
    .map(([spec], i) => ({ time: time + i * 4000, region: spec.global ? 'us-east-1' : c.home, actor: tf, spec }));
};

/** The organisation's guardrails as code: an SCP detached from the sandbox OU and attached again on Tuesdays. */
const scpApplies: RoutineJob = (c, day) => {
  if (new Date(day).getUTCDay() !== 2) return [];
  const time = at(day, 15, c.rng.int(0, 59));
  const request = { policyId: 'p-sandboxguard', targetId: `ou-${c.rng.hex(4)}-sandbox01` };
  return [
    { time, region: 'us-east-1', actor: c.actors.terraform, spec: fixedSpec('organizations.amazonaws.com', 'DetachPolicy', request, null, { global: true }) },
    { time: time + 6000, region: 'us-east-1', actor: c.actors.terraform, spec: fixedSpec('organizations.amazonaws.com', 'AttachPolicy', request, null, { global: true }) },
  ];
};

/** Offboarding on Tuesdays and Thursdays: the help desk removes a leaver's MFA device and login, then the user. */
const offboarding: RoutineJob = (c, day) => {
  if (![2, 4].includes(new Date(day).getUTCDay())) return [];
  const user = `${c.rng.pick(FIRST_NAMES)}.${c.rng.pick(LAST_NAMES)}-contractor`;
  const mfa = `arn:aws:iam::${c.account.accountId}:mfa/${user}`;
  const time = at(day, workHour(c.actors.helpdesk, 2), c.rng.int(0, 50));
  const steps = [
    fixedSpec('iam.amazonaws.com', 'DeactivateMFADevice', { userName: user, serialNumber: mfa }, null, { global: true }),
    fixedSpec('iam.amazonaws.com', 'DeleteVirtualMFADevice', { serialNumber: mfa }, null, { global: true }),
    fixedSpec('iam.amazonaws.com', 'DeleteLoginProfile', { userName: user }, null, { global: true }),
    fixedSpec('iam.amazonaws.com', 'RemoveUserFromGroup', { groupName: 'contractors', userName: user }, null, { global: true }),
    fixedSpec('iam.amazonaws.com', 'DeleteUser', { userName: user }, null, { global: true }),
  ];
  return steps.map((spec, i) => ({ time: time + i * 20_000, region: 'us-east-1', actor: c.actors.helpdesk, spec }));
};

/** A monitoring vendor assuming its integration role from its own account, every hour around the clock. */
const vendorIntegration: RoutineJob = (c, day) =>
  Array.from({ length: 24 }, (_, hour) => {
    const role = 'DatadogIntegrationRole';
    const roleArn = arnRole(c.account.accountId, role);
    const session = 'DatadogAWSIntegration';
    return {
      time: at(day, hour, 2, c.rng.int(0, 59)), region: 'us-east-1', actor: c.actors.vendor,
      spec: fixedSpec('sts.amazonaws.com', 'AssumeRole', { roleArn, roleSessionName: session, externalId: c.account.accountId.slice(0, 6) + 'dd', durationSeconds: 3600 }, {
        credentials: { accessKeyId: `ASIA${c.rng.upperAlnum(16)}`, sessionToken: `IQoJb3JpZ2luX2VjE${c.rng.alnum(180)}`, expiration: awsLongDate(at(day, hour + 1, 2)) },
        assumedRoleUser: { assumedRoleId: `AROA${c.rng.upperAlnum(17)}:${session}`, arn: `arn:aws:sts::${c.account.accountId}:assumed-role/${role}/${session}` },
      }, { readOnly: true, resources: [{ accountId: c.account.accountId, type: 'AWS::IAM::Role', ARN: roleArn }] }),
    };
  });

/** Developers starting their day with aws-vault: a session token against their MFA device. */
const awsVaultSessions: RoutineJob = (c, day) =>
  isWeekday(day)
    ? c.actors.developers.map((dev) => {
        const user = (dev.arn.split('/').pop() as string);
        return {
          time: at(day, workHour(dev, 0), c.rng.int(0, 40)), region: 'us-east-1', actor: dev,
          spec: fixedSpec('sts.amazonaws.com', 'GetSessionToken', { durationSeconds: 43200, serialNumber: `arn:aws:iam::${c.account.accountId}:mfa/${user}`, tokenCode: '******' }, {
            credentials: { accessKeyId: `ASIA${c.rng.upperAlnum(16)}`, sessionToken: `IQoJb3JpZ2luX2VjE${c.rng.alnum(180)}`, expiration: awsLongDate(at(day, workHour(dev, 12))) },
          }, { readOnly: true }),
        };
      })
    : [];

/** A platform engineer's weekly shell into a staging task with ECS Exec, on Wednesdays. */
const ecsExec: RoutineJob = (c, day) => {
  if (new Date(day).getUTCDay() !== 3) return [];
  const task = c.rng.hex(32);
  const cluster = 'staging';
  const prefix = `arn:aws:ecs:${c.home}:${c.account.accountId}`;
  return [{
    time: at(day, workHour(c.actors.platformEngineer, 3), c.rng.int(0, 59)), region: c.home, actor: c.actors.platformEngineer,
    spec: fixedSpec('ecs.amazonaws.com', 'ExecuteCommand', { cluster, container: 'app', command: '/bin/bash', interactive: true, task }, {
      clusterArn: `${prefix}:cluster/${cluster}`, containerArn: `${prefix}:container/${cluster}/${task}/${c.rng.uuid()}`, containerName: 'app', interactive: true,
      session: { sessionId: `ecs-execute-command-${c.rng.hex(17)}`, streamUrl: `wss://ssmmessages.${c.home}.amazonaws.com/v1/data-channel/ecs-execute-command-${c.rng.hex(17)}`, tokenValue: 'HIDDEN_DUE_TO_SECURITY_REASONS' },
      taskArn: `${prefix}:task/${cluster}/${task}`,
    }),
  }];
};

/** A records service archiving the day's signed documents with a key of its own (SSE-C), just after midnight. */
const sseCArchive: RoutineJob = (c, day) => {
  const bucket = c.account.buckets.find((b) => b.includes('-backups-')) ?? (c.account.buckets[0] as string);
  return Array.from({ length: c.rng.int(4, 8) }, (_, i) => ({
    time: at(day, 0, 30 + i, c.rng.int(0, 59)), region: c.home, actor: c.actors.archiver,
    spec: fixedSpec('s3.amazonaws.com', 'PutObject', null),
    sseCObject: { bucket, key: `signed/${dayName(day)}/${c.rng.hex(20)}.pdf` },
  }));
};

/** Security analysts closing the findings they triaged, through the Security Hub console, each working day. */
const findingsTriage: RoutineJob = (c, day) =>
  isWeekday(day)
    ? c.actors.analysts.map((analyst) => {
        const ids = Array.from({ length: c.rng.int(1, 5) }, () => ({
          Id: `arn:aws:securityhub:${c.home}:${c.account.accountId}:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.${c.rng.int(1, 17)}/finding/${c.rng.uuid()}`,
          ProductArn: `arn:aws:securityhub:${c.home}::product/aws/securityhub`,
        }));
        return {
          time: at(day, workHour(analyst, 4), c.rng.int(0, 59)), region: c.home, actor: analyst,
          spec: fixedSpec('securityhub.amazonaws.com', 'BatchUpdateFindings', { FindingIdentifiers: ids, Workflow: { Status: 'RESOLVED' }, Note: { Text: `Remediated, ticket SEC-${c.rng.int(1000, 9999)}`, UpdatedBy: analyst.arn.split('/').pop() } }, {
            ProcessedFindings: ids, UnprocessedFindings: [],
          }),
        };
      })
    : [];

/** Which jobs run in which account: a production account, a platform account and a security account. */
const ROUTINE_JOBS_BY_ACCOUNT: RoutineJob[][] = [
  [snapshotRetention, drCopy, backupPlan, dbaLogs, sseCArchive, vendorIntegration],
  [terraformApplies, offboarding, awsVaultSessions, ecsExec, vendorIntegration],
  [findingsTriage, scpApplies, vendorIntegration],
];

/** S3 PutObject with a customer-provided key, as CloudTrail logs it: the algorithm and the key's MD5, never the key. */
function sseCRecord(c: CallContext, object: { bucket: string; key: string }, agent: string, ip: string): Record<string, unknown> {
  const host = bucketHost(object.bucket, c.region);
  const keyMd5 = `${c.rng.alnum(22)}==`;
  const size = c.rng.logInt(20_000, 4_000_000);
  return {
    eventVersion: '1.10', userIdentity: identityFor(c), eventTime: isoSeconds(c.time), eventSource: 's3.amazonaws.com', eventName: 'PutObject',
    awsRegion: c.region, sourceIPAddress: ip, userAgent: agent,
    requestParameters: { bucketName: object.bucket, Host: host, key: object.key, 'x-amz-server-side-encryption-customer-algorithm': 'AES256' },
    responseElements: { 'x-amz-server-side-encryption-customer-algorithm': 'AES256', 'x-amz-server-side-encryption-customer-key-MD5': keyMd5 },
    additionalEventData: { SignatureVersion: 'SigV4', CipherSuite: 'TLS_AES_128_GCM_SHA256', bytesTransferredIn: size, AuthenticationMethod: 'AuthHeader', 'x-amz-id-2': `${c.rng.alnum(74)}=`, bytesTransferredOut: 0 },
    requestID: c.rng.upperAlnum(16), eventID: c.rng.uuid(), readOnly: false,
    resources: [{ type: 'AWS::S3::Object', ARN: `arn:aws:s3:::${object.bucket}/${object.key}` }, s3BucketResource(c, object.bucket)],
    eventType: 'AwsApiCall', managementEvent: false, recipientAccountId: c.account.accountId, eventCategory: 'Data',
    tlsDetails: { tlsVersion: 'TLSv1.3', cipherSuite: 'TLS_AES_128_GCM_SHA256', clientProvidedHostHeader: host },
  };
}

/** Plans an account's routine jobs day by day and hands each region's stream the calls that are due. */
class RoutinePlanner {
  private readonly queues = new Map<string, RoutineCall[]>();
  private readonly context: RoutineJobContext;
  private readonly jobs: RoutineJob[];
  private readonly start: number;
  private readonly globalRegion: string;
  private plannedUntil: number;

  constructor(rng: Random, account: AccountEstate, regions: readonly string[], accountIndex: number, start: number) {
    this.context = { rng, account, home: regions[0] as string, drRegion: (regions[1] ?? regions[0]) as string, actors: buildRoutineActors(rng, account, regions) };
    this.jobs = ROUTINE_JOBS_BY_ACCOUNT[accountIndex % ROUTINE_JOBS_BY_ACCOUNT.length] as RoutineJob[];
    this.plannedUntil = Math.floor(start / DAY_MS) * DAY_MS;
    this.start = start;
    // Global calls are logged in us-east-1; without it, in the first region.
    this.globalRegion = regions.includes('us-east-1') ? 'us-east-1' : (regions[0] as string);
  }

  private planUntil(until: number): void {
    while (this.plannedUntil < until) {
      const day = this.plannedUntil;
      for (const job of this.jobs) {
        for (const call of job(this.context, day)) {
          if (call.time < this.start) continue;
          const region = call.spec.global || call.region === 'us-east-1' ? this.globalRegion : call.region;
          const queue = this.queues.get(region) ?? [];
          queue.push({ ...call, region });
          this.queues.set(region, queue);
        }
      }
      for (const queue of this.queues.values()) queue.sort((a, b) => a.time - b.time);
      this.plannedUntil += DAY_MS;
    }
  }

  /** Whether `region` has calls due before `until`. */
  hasDue(region: string, until: number): boolean {
    this.planUntil(until);
    return (this.queues.get(region)?.[0]?.time ?? Infinity) < until;
  }

  /** Up to `limit` calls due in `region` before `until`, taken off the queue. */
  takeDue(region: string, until: number, limit: number): RoutineCall[] {
    this.planUntil(until);
    const queue = this.queues.get(region) ?? [];
    let n = 0;
    while (n < queue.length && n < limit && (queue[n] as RoutineCall).time < until) n++;
    return queue.splice(0, n);
  }
}

function routineRecord(rng: Random, stream: TrailStream, call: RoutineCall): Record<string, unknown> {
  const c: CallContext = { rng, account: stream.account, estate: stream.estate, region: call.region, actor: call.actor, time: call.time, chosen: {} };
  const source = call.actor.source(rng);
  const agent = call.actor.userAgent(rng, call.spec.source);
  return call.sseCObject ? sseCRecord(c, call.sseCObject, agent, source.ip) : managementRecord(c, call.spec, agent, source);
}

/**
 * CloudTrail log files: `{"Records":[...]}`, 1,000–5,000 records each by default, under
 * AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/.
 */
export async function generateCloudTrail(options: GenerateOptions): Promise<GenerateResult> {
  const rng = new Random(options.seed);
  const regions = options.regions ?? DEFAULT_REGIONS;
  const start = (options.start ?? DEFAULT_START).getTime();
  const estates = new Map<string, { account: AccountEstate; actors: Actor[]; routine: RoutinePlanner }>();
  for (const [index, accountId] of (options.accounts ?? DEFAULT_ACCOUNTS).entries()) {
    const account = buildAccountEstate(rng, accountId, regions);
    estates.set(accountId, { account, actors: buildActors(rng, account, regions), routine: new RoutinePlanner(rng, account, regions, index, start) });
  }
  const streams = makeStreams(options, (accountId, region) => {
    const { account, actors, routine } = estates.get(accountId) as { account: AccountEstate; actors: Actor[]; routine: RoutinePlanner };
    return buildTrailStream(account, actors, routine, region);
  });
  const result = emptyResult();
  // A stream with routine calls due delivers in that window, so no job's call waits hours for a file.
  const routineDue = (stream: Stream<TrailStream>, until: number) => stream.state.routine.hasDue(stream.region, until);
  await deliverInWindows(rng, options, streams, { min: 1000, max: 5000 }, routineDue, async (stream, windowStart, count, windowMs) => {
    const delivered = windowStart + windowMs;
    const { accountId, region } = stream;
    const key = `AWSLogs/${accountId}/CloudTrail/${region}/${dateFolders(delivered)}/${accountId}_CloudTrail_${region}_${deliveryStamp(delivered)}_${rng.alnum(16)}.json.gz`;
    const writer = await GzipFileWriter.create(path.join(options.outDir, key));
    writer.add('{"Records":[');
    const due = stream.state.routine.takeDue(region, windowStart + windowMs, count);
    for (let i = 0; i < count; i++) {
      // Events arrive a little late, so a file spans slightly more than its window.
      const time = windowStart - rng.int(0, 60_000) + rng.int(0, windowMs - 1);
      const call = due[i];
      writer.add((i === 0 ? '' : ',') + JSON.stringify(call ? routineRecord(rng, stream.state, call) : cloudTrailRecord(rng, stream.state, region, time)));
      if (writer.full) await writer.flush();
    }
    writer.add(']}');
    await finishFile(writer, count, result);
  });
  return result;
}

// ───────────────────────────── VPC Flow Logs ─────────────────────────────

export const FLOW_V2_HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
export const FLOW_V5_CUSTOM_HEADER =
  'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status flow-direction traffic-path';

type EniRole = 'web' | 'app' | 'db' | 'lb' | 'nat' | 'bastion' | 'dns';

interface Eni {
  id: string;
  subnetId: string;
  /** '-' for ENIs that no instance owns (load balancers, NAT gateways). */
  instanceId: string;
  ip: string;
  role: EniRole;
}

interface FlowVpc {
  accountId: string;
  vpcId: string;
  flowLogId: string;
  custom: boolean;
  enis: Eni[];
  byRole: Map<EniRole, Eni[]>;
}

interface FlowEstate {
  /** Popular destinations (APIs, CDNs, package mirrors): most egress goes to few addresses. */
  popularPeers: Weighted<string>;
  adminIps: string[];
  ntpServers: string[];
  vpcs: [FlowVpc, FlowVpc];
}

/** One flow-log record; one conversation usually logs two, one per direction. */
interface FlowRecord {
  eni: Eni;
  src: string;
  dst: string;
  srcPort: number;
  dstPort: number;
  protocol: number;
  packets: number;
  bytes: number;
  action: 'ACCEPT' | 'REJECT';
  tcpFlags: number;
  direction: 'ingress' | 'egress';
  /** Original addresses when a NAT gateway rewrote them (custom format's pkt-srcaddr/pkt-dstaddr). */
  pktSrc?: string;
  pktDst?: string;
}

const ENI_ROLE_COUNTS: [EniRole, number][] = [['web', 8], ['app', 10], ['db', 3], ['lb', 3], ['nat', 2], ['bastion', 1], ['dns', 2]];

function buildFlowVpc(rng: Random, accountId: string, custom: boolean): FlowVpc {
  const prefix = vpcPrefix(rng);
  const subnets = Array.from({ length: 4 }, () => `subnet-${rng.hex(17)}`);
  const enis: Eni[] = [];
  const byRole = new Map<EniRole, Eni[]>();
  for (const [role, count] of ENI_ROLE_COUNTS) {
    const list: Eni[] = [];
    for (let i = 0; i < count; i++) {
      const owned = role !== 'lb' && role !== 'nat';
      list.push({ id: `eni-${rng.hex(17)}`, subnetId: rng.pick(subnets), instanceId: owned ? instanceId(rng) : '-', ip: privateIpIn(rng, prefix), role });
    }
    byRole.set(role, list);
    enis.push(...list);
  }
  return { accountId, vpcId: vpcId(rng), flowLogId: `fl-${rng.hex(17)}`, custom, enis, byRole };
}

function buildFlowEstate(rng: Random, accountId: string): FlowEstate {
  const peers = publicIpPool(rng, 600);
  return {
    // Zipf-like: the first peers get most of the traffic.
    popularPeers: new Weighted(peers.map((ip, i) => [ip, 1 / (i + 1)] as const)),
    adminIps: publicIpPool(rng, 3),
    ntpServers: publicIpPool(rng, 4),
    vpcs: [buildFlowVpc(rng, accountId, false), buildFlowVpc(rng, accountId, true)],
  };
}

const ephemeralPort = (rng: Random): number => rng.int(32768, 60999);
const roleEni = (rng: Random, vpc: FlowVpc, ...roles: EniRole[]): Eni =>
  rng.pick(vpc.byRole.get(rng.pick(roles)) as Eni[]);

/** Request and response of a TCP/UDP exchange as seen on `eni`. */
function exchange(
  rng: Random,
  eni: Eni,
  outbound: boolean,
  peer: string,
  peerPort: number,
  localPort: number,
  protocol: number,
  large: boolean,
  pktSrc?: string,
): FlowRecord[] {
  const packets = rng.logInt(1, large ? 20_000 : 40);
  const smallPackets = Math.max(1, Math.round(packets * (0.3 + rng.next() * 0.5)));
  const tcp = protocol === 6;
  const request: FlowRecord = {
    eni, src: outbound ? eni.ip : peer, dst: outbound ? peer : eni.ip,
    srcPort: outbound ? localPort : peerPort, dstPort: outbound ? peerPort : localPort, protocol,
    packets: smallPackets, bytes: smallPackets * rng.int(52, 400), action: 'ACCEPT',
    tcpFlags: tcp ? rng.pick([3, 19, 2, 1]) : 0, direction: outbound ? 'egress' : 'ingress', ...(pktSrc ? { pktSrc } : {}),
  };
  const response: FlowRecord = {
    eni, src: request.dst, dst: request.src, srcPort: request.dstPort, dstPort: request.srcPort, protocol,
    packets, bytes: packets * rng.int(large ? 400 : 60, large ? 1500 : 600), action: 'ACCEPT',
    tcpFlags: tcp ? rng.pick([19, 18, 3, 1]) : 0, direction: outbound ? 'ingress' : 'egress', ...(pktSrc ? { pktDst: pktSrc } : {}),
  };
  return [request, response];
}

type Conversation = (rng: Random, vpc: FlowVpc, estate: FlowEstate) => FlowRecord[];

const SCANNED_PORTS = [22, 23, 3389, 445, 1433, 3306, 5900, 6379, 8080, 80, 443, 9200, 2375, 25, 5432] as const;

const CONVERSATIONS = new Weighted<Conversation>([
  // Workloads calling HTTPS APIs on the internet.
  [(rng, vpc, e) => exchange(rng, roleEni(rng, vpc, 'web', 'app'), true, e.popularPeers.pick(rng), 443, ephemeralPort(rng), 6, true), 40],
  // The same, as seen on the NAT gateway, with the instance as the original source.
  [(rng, vpc, e) => exchange(rng, roleEni(rng, vpc, 'nat'), true, e.popularPeers.pick(rng), 443, ephemeralPort(rng), 6, true, roleEni(rng, vpc, 'app').ip), 8],
  [(rng, vpc, e) => exchange(rng, roleEni(rng, vpc, 'web', 'app'), true, e.popularPeers.pick(rng), 80, ephemeralPort(rng), 6, true), 4],
  // DNS to the VPC's own resolvers (traffic to the Amazon-provided resolver is not logged).
  [(rng, vpc) => exchange(rng, roleEni(rng, vpc, 'web', 'app', 'db'), true, roleEni(rng, vpc, 'dns').ip, 53, ephemeralPort(rng), 17, false), 12],
  [(rng, vpc, e) => exchange(rng, roleEni(rng, vpc, 'web', 'app', 'db', 'bastion'), true, rng.pick(e.ntpServers), 123, 123, 17, false), 2],
  // Application tier to PostgreSQL, seen on the database ENI.
  [(rng, vpc) => exchange(rng, roleEni(rng, vpc, 'db'), false, roleEni(rng, vpc, 'app').ip, ephemeralPort(rng), 5432, 6, true), 10],
  // Load balancer to web tier.
  [(rng, vpc) => exchange(rng, roleEni(rng, vpc, 'web'), false, roleEni(rng, vpc, 'lb').ip, ephemeralPort(rng), rng.pick([80, 8080, 443]), 6, true), 8],
  // Clients on the internet hitting the load balancer.
  [(rng, vpc) => exchange(rng, roleEni(rng, vpc, 'lb'), false, publicIp(rng), ephemeralPort(rng), 443, 6, true), 6],
  [(rng, vpc, e) => exchange(rng, roleEni(rng, vpc, 'bastion'), false, rng.pick(e.adminIps), ephemeralPort(rng), 22, 6, true), 2],
  // Internet background noise: scans rejected by security groups.
  [(rng, vpc) => [scanRecord(rng, rng.pick(vpc.enis))], 12],
  [(rng, vpc) => [{ ...scanRecord(rng, roleEni(rng, vpc, 'web', 'lb')), protocol: 1, srcPort: 0, dstPort: 0, tcpFlags: 0, action: rng.chance(0.5) ? 'ACCEPT' : 'REJECT' }], 2],
]);

function scanRecord(rng: Random, eni: Eni): FlowRecord {
  const packets = rng.int(1, 3);
  return {
    eni, src: publicIp(rng), dst: eni.ip, srcPort: rng.int(1024, 65535), dstPort: rng.pick(SCANNED_PORTS), protocol: 6,
    packets, bytes: packets * rng.int(40, 60), action: 'REJECT', tcpFlags: 2, direction: 'ingress',
  };
}

/** Internet egress leaves through the IGW (8); traffic inside the VPC through a local resource (1). */
function trafficPath(record: FlowRecord): string {
  if (record.direction === 'ingress') return '-';
  return record.dst.startsWith('10.') || record.dst.startsWith('172.31.') ? '1' : '8';
}

function flowLine(vpc: FlowVpc, record: FlowRecord, start: number, end: number): string {
  const r = record;
  if (!vpc.custom) {
    return `2 ${vpc.accountId} ${r.eni.id} ${r.src} ${r.dst} ${r.srcPort} ${r.dstPort} ${r.protocol} ${r.packets} ${r.bytes} ${start} ${end} ${r.action} OK`;
  }
  return (
    `5 ${vpc.vpcId} ${r.eni.subnetId} ${r.eni.instanceId} ${r.eni.id} ${vpc.accountId} IPv4 ${r.src} ${r.dst} ${r.srcPort} ${r.dstPort} ` +
    `${r.pktSrc ?? r.src} ${r.pktDst ?? r.dst} ${r.protocol} ${r.bytes} ${r.packets} ${start} ${end} ${r.action} ${r.tcpFlags} OK ${r.direction} ${trafficPath(r)}`
  );
}

/** An ENI with no traffic in the interval (NODATA) or records dropped by capacity (SKIPDATA). */
function emptyIntervalLine(rng: Random, vpc: FlowVpc, start: number, end: number): string {
  const eni = rng.pick(vpc.enis);
  const status = rng.chance(0.8) ? 'NODATA' : 'SKIPDATA';
  if (!vpc.custom) return `2 ${vpc.accountId} ${eni.id} - - - - - - - ${start} ${end} - ${status}`;
  return `5 ${vpc.vpcId} ${eni.subnetId} ${eni.instanceId} ${eni.id} ${vpc.accountId} - - - - - - - - - - ${start} ${end} - - ${status} - -`;
}

/**
 * VPC Flow Log files under AWSLogs/<account>/vpcflowlogs/<region>/YYYY/MM/DD/: the default v2
 * format, and for `customFormatShare` of the files a custom v5 format from another flow log.
 */
export async function generateFlowLogs(options: FlowLogOptions): Promise<GenerateResult> {
  const rng = new Random(options.seed);
  const share = options.customFormatShare ?? 0.25;
  const streams = makeStreams(options, (accountId) => buildFlowEstate(rng, accountId));
  const result = emptyResult();
  let fileIndex = 0;
  await deliverInWindows(rng, options, streams, { min: 10_000, max: 40_000 }, null, async (stream, windowStart, count, windowMs) => {
    // Spread custom-format files evenly so the share holds even for a handful of files.
    const custom = Math.floor((fileIndex + 1) * share) > Math.floor(fileIndex * share);
    fileIndex++;
    const vpc = stream.state.vpcs[custom ? 1 : 0];
    const delivered = windowStart + windowMs;
    const { accountId, region } = stream;
    const key = `AWSLogs/${accountId}/vpcflowlogs/${region}/${dateFolders(delivered)}/${accountId}_vpcflowlogs_${region}_${vpc.flowLogId}_${deliveryStamp(delivered)}_${rng.hex(8)}.log.gz`;
    const writer = await GzipFileWriter.create(path.join(options.outDir, key));
    writer.add(`${custom ? FLOW_V5_CUSTOM_HEADER : FLOW_V2_HEADER}\n`);
    const windowSeconds = Math.floor(windowStart / 1000);
    const repeats = new RepeatFilter();
    let written = 0;
    while (written < count) {
      // Flow logs aggregate over ~60 s capture intervals.
      const start = windowSeconds + rng.int(0, windowMs / 1000 - 61);
      const end = start + rng.int(40, 60);
      const lines = rng.chance(0.005)
        ? [emptyIntervalLine(rng, vpc, start, end)]
        : CONVERSATIONS.pick(rng)(rng, vpc, stream.state).map((record) => flowLine(vpc, record, start, end));
      for (const line of lines) {
        if (written === count) break;
        if (!repeats.isNew(line)) continue;
        writer.add(`${line}\n`);
        written++;
      }
      if (writer.full) await writer.flush();
    }
    await finishFile(writer, count, result);
  });
  return result;
}

// ───────────────────────────── Route 53 Resolver query logs ─────────────────────────────

interface DnsAnswer {
  Rdata: string;
  Type: string;
  Class: 'IN';
}

interface DnsQuery {
  name: string;
  type: string;
  rcode: string;
  answers: DnsAnswer[];
}

interface DnsVpc {
  accountId: string;
  region: string;
  vpcId: string;
  prefix: string;
  instances: { id: string; ip: string }[];
  /** Stable addresses per name, so repeated lookups of a name agree. */
  addresses: Map<string, string[]>;
  rdsClusters: string[];
}

const THIRD_PARTY_NAMES = [
  'github.com', 'api.github.com', 'objects.githubusercontent.com', 'registry.npmjs.org', 'pypi.org', 'files.pythonhosted.org',
  'registry-1.docker.io', 'auth.docker.io', 'production.cloudflare.docker.com', 'api.datadoghq.com', 'http-intake.logs.datadoghq.com',
  'o123456.ingest.sentry.io', 'hooks.slack.com', 'www.google.com', 'oauth2.googleapis.com', 'api.stripe.com', 'checkpoint-api.hashicorp.com',
  'security.ubuntu.com', 'archive.ubuntu.com', 'ntp.ubuntu.com', 'login.microsoftonline.com', 'api.twilio.com', 'cdn.jsdelivr.net',
] as const;
const CNAME_TARGETS: Record<string, string> = {
  'api.datadoghq.com': 'alb-api-datadog-prod-123456789.us-east-1.elb.amazonaws.com',
  'registry.npmjs.org': 'registry.npmjs.org.cdn.cloudflare.net',
  'cdn.jsdelivr.net': 'jsdelivr.map.fastly.net',
  'production.cloudflare.docker.com': 'production.cloudflare.docker.com.cdn.cloudflare.net',
  'login.microsoftonline.com': 'login.mso.msidentity.com',
};
const AWS_ENDPOINTS = ['sts', 's3', 'ec2', 'ssm', 'ec2messages', 'ssmmessages', 'logs', 'monitoring', 'dynamodb', 'sqs', 'kms', 'secretsmanager', 'api.ecr', 'sns'] as const;

const answer = (Rdata: string, Type: string): DnsAnswer => ({ Rdata, Type, Class: 'IN' });

function stableAddresses(rng: Random, vpc: DnsVpc, name: string, make: () => string): string[] {
  let list = vpc.addresses.get(name);
  if (!list) {
    list = Array.from({ length: rng.int(1, 4) }, make);
    vpc.addresses.set(name, list);
  }
  return list;
}

function ipv6(rng: Random): string {
  return `2${rng.hex(3)}:${rng.hex(4)}:${rng.hex(3)}:${rng.hex(4)}::${rng.hex(4)}`.replace(/:0+([0-9a-f])/g, ':$1');
}

function reversePointer(ip: string): string {
  return `${ip.split('.').reverse().join('.')}.in-addr.arpa.`;
}

const hostNameOf = (ip: string, region: string): string => `ip-${ip.replaceAll('.', '-')}.${internalDomain(region)}.`;

/** A lookup and its outcome, drawn from the mix a typical VPC sees. */
type QueryMaker = (rng: Random, vpc: DnsVpc) => DnsQuery;

function addressQuery(rng: Random, vpc: DnsVpc, name: string, chain?: string): DnsQuery {
  const type = rng.chance(0.7) ? 'A' : 'AAAA';
  const answers: DnsAnswer[] = chain ? [answer(`${chain}.`, 'CNAME')] : [];
  // Many names have no IPv6 address: NOERROR with no AAAA answer.
  if (type === 'A') answers.push(...stableAddresses(rng, vpc, name, () => publicIp(rng)).map((ip) => answer(ip, 'A')));
  else if (rng.chance(0.4)) answers.push(answer(ipv6(rng), 'AAAA'));
  return { name: `${name}.`, type, rcode: 'NOERROR', answers };
}

const QUERY_MAKERS = new Weighted<QueryMaker>([
  [(rng, vpc) => {
    const service = rng.pick(AWS_ENDPOINTS);
    const name = `${service}.${vpc.region}.amazonaws.com`;
    return addressQuery(rng, vpc, name, service === 's3' ? `s3-r-w.${vpc.region}.amazonaws.com` : undefined);
  }, 33],
  [(rng, vpc) => {
    const name = rng.pick(THIRD_PARTY_NAMES);
    return addressQuery(rng, vpc, name, CNAME_TARGETS[name]);
  }, 28],
  [(rng, vpc) => {
    const peer = rng.pick(vpc.instances);
    return { name: hostNameOf(peer.ip, vpc.region), type: 'A', rcode: 'NOERROR', answers: [answer(peer.ip, 'A')] };
  }, 8],
  [(rng, vpc) => {
    const peer = rng.pick(vpc.instances);
    return { name: reversePointer(peer.ip), type: 'PTR', rcode: 'NOERROR', answers: [answer(hostNameOf(peer.ip, vpc.region), 'PTR')] };
  }, 6],
  [(rng, vpc) => {
    const cluster = rng.pick(vpc.rdsClusters);
    const instance = `${cluster.split('.')[0]}-instance-1.${cluster.split('.').slice(1).join('.')}`.replace('.cluster-', '.');
    const ip = stableAddresses(rng, vpc, cluster, () => privateIpIn(rng, vpc.prefix))[0] as string;
    return { name: `${cluster}.`, type: 'A', rcode: 'NOERROR', answers: [answer(`${instance}.`, 'CNAME'), answer(ip, 'A')] };
  }, 5],
  // Search-domain expansion of short names and cloud-init probes: NXDOMAIN.
  [(rng, vpc) => ({
    name: rng.chance(0.5)
      ? `${rng.pick(THIRD_PARTY_NAMES)}.${internalDomain(vpc.region)}.`
      : rng.pick(['__cloud_init_expected_not_found__.', 'instance-data.', 'metadata.google.internal.', `${rng.pick(APPS)}.service.consul.`, 'wpad.']),
    type: rng.chance(0.6) ? 'A' : 'AAAA', rcode: 'NXDOMAIN', answers: [],
  }), 8],
  [(rng) => ({ name: `_dmarc.${rng.pick(COMPANIES)}.com.`, type: 'TXT', rcode: 'NOERROR', answers: [answer('"v=DMARC1; p=reject; rua=mailto:dmarc@example.com"', 'TXT')] }), 1],
  [(rng) => ({ name: `${rng.pick(COMPANIES)}.com.`, type: 'MX', rcode: 'NOERROR', answers: [answer(`10 mx1.${rng.pick(COMPANIES)}.com.`, 'MX')] }), 0.5],
  [(rng) => ({ name: `_ldap._tcp.corp.${rng.pick(COMPANIES)}.internal.`, type: 'SRV', rcode: 'NOERROR', answers: [answer(`0 100 389 dc${rng.int(1, 2)}.corp.internal.`, 'SRV')] }), 0.5],
  [(rng) => ({ name: `${rng.pick(APPS)}.partner-api.net.`, type: 'A', rcode: 'SERVFAIL', answers: [] }), 0.5],
  // Telemetry and CDN names with random labels.
  [(rng, vpc) => addressQuery(rng, vpc, `${rng.hex(32)}.${rng.pick(['cloudfront.net', 'akamaized.net', 'r2.cloudflarestorage.com'])}`), 2],
]);

const DNS_FIREWALL_SHARE = 0.001;

function buildDnsVpc(rng: Random, accountId: string, region: string): DnsVpc {
  const prefix = vpcPrefix(rng);
  return {
    accountId,
    region,
    vpcId: vpcId(rng),
    prefix,
    instances: Array.from({ length: rng.int(10, 40) }, () => ({ id: instanceId(rng), ip: privateIpIn(rng, prefix) })),
    addresses: new Map(),
    rdsClusters: APPS.slice(0, 3).map((app) => `${app}-db.cluster-${rng.alnum(12).toLowerCase()}.${region}.rds.amazonaws.com`),
  };
}

/** Lookups of domains on a DNS Firewall block list: answered NXDOMAIN. */
function blockedQuery(rng: Random): DnsQuery {
  const name = rng.pick([
    'pool.minexmr.com.', 'xmr-eu1.nanopool.org.', `${rng.alnum(10).toLowerCase()}.duckdns.org.`,
    `${rng.hex(20)}.tk.`, 'c2.evil-updates.top.', `${rng.alnum(14).toLowerCase()}.ngrok.io.`,
  ]);
  return { name, type: 'A', rcode: 'NXDOMAIN', answers: [] };
}

/** One query-log line, keys in the order Route 53 Resolver writes them. */
function dnsLine(rng: Random, vpc: DnsVpc, time: number): string {
  const blocked = rng.chance(DNS_FIREWALL_SHARE);
  const query = blocked ? blockedQuery(rng) : QUERY_MAKERS.pick(rng)(rng, vpc);
  const instance = rng.pick(vpc.instances);
  const fromInstance = rng.chance(0.9);
  const record: Record<string, unknown> = {
    version: '1.100000',
    account_id: vpc.accountId,
    region: vpc.region,
    vpc_id: vpc.vpcId,
    query_timestamp: isoSeconds(time),
    query_name: query.name,
    query_type: query.type,
    query_class: 'IN',
    rcode: query.rcode,
    answers: query.answers,
    srcaddr: fromInstance ? instance.ip : privateIpIn(rng, vpc.prefix),
    srcport: String(rng.int(1024, 65535)),
    transport: rng.chance(0.97) ? 'UDP' : 'TCP',
    srcids: fromInstance ? { instance: instance.id } : {},
  };
  if (blocked) {
    record.firewall_rule_action = 'BLOCK';
    record.firewall_rule_group_id = `rslvr-frg-${rng.hex(16)}`;
    record.firewall_domain_list_id = `rslvr-fdl-${rng.hex(16)}`;
  }
  return JSON.stringify(record);
}

/**
 * Route 53 Resolver query logs (JSON lines) under AWSLogs/<account>/vpcdnsquerylogs/<vpc-id>/YYYY/MM/DD/.
 */
export async function generateDnsLogs(options: GenerateOptions): Promise<GenerateResult> {
  const rng = new Random(options.seed);
  const streams = makeStreams(options, (accountId, region) => buildDnsVpc(rng, accountId, region));
  const result = emptyResult();
  await deliverInWindows(rng, options, streams, { min: 2_000, max: 20_000 }, null, async (stream, windowStart, count, windowMs) => {
    const vpc = stream.state;
    const delivered = windowStart + windowMs;
    const key = `AWSLogs/${vpc.accountId}/vpcdnsquerylogs/${vpc.vpcId}/${dateFolders(delivered)}/${vpc.accountId}_vpcdnsquerylogs_${vpc.vpcId}_${deliveryStamp(delivered)}_${rng.hex(8)}.log.gz`;
    const writer = await GzipFileWriter.create(path.join(options.outDir, key));
    const repeats = new RepeatFilter();
    for (let written = 0; written < count; ) {
      const line = dnsLine(rng, vpc, windowStart + rng.int(0, windowMs - 1));
      if (!repeats.isNew(line)) continue;
      writer.add(`${line}\n`);
      written++;
      if (writer.full) await writer.flush();
    }
    await finishFile(writer, count, result);
  });
  return result;
}
