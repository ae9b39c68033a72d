/**
 * The VPC Flow Logs field catalogue (format versions 2–8, including the ECS and transit-gateway fields),
 * in the documented order. A file either names its fields in a header line or uses the order given with
 * --flow-format or else a default one: the VPC fields up to the version its line length implies, or the
 * transit-gateway default format.
 */
export type FlowFieldKind = 'text' | 'address' | 'integer' | 'port' | 'epoch';

export interface FlowField {
  name: string;
  kind: FlowFieldKind;
  /** Allowed literal values, besides '-'. */
  values?: readonly string[];
  /** Largest value of an integer field; unset for 64-bit counters (any BIGINT). */
  max?: number;
}

/** Integer fields other than counters land in 32-bit lake columns: a larger value is malformed, not storable. */
const INT32_MAX = 2 ** 31 - 1;

const text = (name: string, values?: readonly string[]): FlowField => ({ name, kind: 'text', values });
const integer = (name: string, max = INT32_MAX): FlowField => ({ name, kind: 'integer', max });
const counter = (name: string): FlowField => ({ name, kind: 'integer' });
const port = (name: string): FlowField => ({ name, kind: 'port' });
const address = (name: string): FlowField => ({ name, kind: 'address' });
const epoch = (name: string): FlowField => ({ name, kind: 'epoch' });

/** VPC and subnet flow logs, versions 2 to 8, in documentation order. */
export const VPC_FIELDS: readonly FlowField[] = [
  integer('version'), text('account-id'), text('interface-id'), address('srcaddr'), address('dstaddr'),
  port('srcport'), port('dstport'), integer('protocol', 255), counter('packets'), counter('bytes'),
  epoch('start'), epoch('end'), text('action', ['ACCEPT', 'REJECT']), text('log-status', ['OK', 'NODATA', 'SKIPDATA']),
  // v3
  text('vpc-id'), text('subnet-id'), text('instance-id'), integer('tcp-flags'), text('type', ['IPv4', 'IPv6', 'EFA']),
  address('pkt-srcaddr'), address('pkt-dstaddr'),
  // v4
  text('region'), text('az-id'), text('sublocation-type'), text('sublocation-id'),
  // v5
  text('pkt-src-aws-service'), text('pkt-dst-aws-service'), text('flow-direction', ['ingress', 'egress']), integer('traffic-path'),
  // v7 (ECS)
  text('ecs-cluster-arn'), text('ecs-cluster-name'), text('ecs-container-instance-arn'), text('ecs-container-instance-id'),
  text('ecs-container-id'), text('ecs-second-container-id'), text('ecs-service-name'), text('ecs-task-definition-arn'),
  text('ecs-task-arn'), text('ecs-task-id'),
  // v8
  text('reject-reason'),
];

/** Transit gateway flow logs (format version 6), default order. */
export const TGW_FIELDS: readonly FlowField[] = [
  integer('version'), text('resource-type'), text('account-id'), text('tgw-id'), text('tgw-attachment-id'),
  text('tgw-src-vpc-account-id'), text('tgw-dst-vpc-account-id'), text('tgw-src-vpc-id'), text('tgw-dst-vpc-id'),
  text('tgw-src-subnet-id'), text('tgw-dst-subnet-id'), text('tgw-src-eni'), text('tgw-dst-eni'),
  text('tgw-src-az-id'), text('tgw-dst-az-id'), text('tgw-pair-attachment-id'),
  address('srcaddr'), address('dstaddr'), port('srcport'), port('dstport'), integer('protocol', 255),
  counter('packets'), counter('bytes'), epoch('start'), epoch('end'), text('log-status', ['OK', 'NODATA', 'SKIPDATA']),
  text('type', ['IPv4', 'IPv6', 'EFA']), counter('packets-lost-no-route'), counter('packets-lost-blackhole'),
  counter('packets-lost-mtu-exceeded'), counter('packets-lost-ttl-expired'), counter('tcp-flags-count'),
  text('region'), text('flow-direction', ['ingress', 'egress']), text('pkt-src-aws-service'), text('pkt-dst-aws-service'),
];

export const FLOW_FIELDS = new Map<string, FlowField>(
  [...VPC_FIELDS, ...TGW_FIELDS].map((field) => [field.name, field]),
);

/** Line lengths of the VPC default orders: v2 (14 fields) up to v8 (40). */
const VPC_DEFAULT_LENGTHS = [14, 21, 25, 29, 39, 40];

/** The field order of a header-less line, or undefined when its length matches no default format. */
export function defaultFieldsFor(tokens: string[]): string[] | undefined {
  if (tokens.length === TGW_FIELDS.length && (tokens[3] ?? '').startsWith('tgw-')) {
    return TGW_FIELDS.map((f) => f.name);
  }
  if (VPC_DEFAULT_LENGTHS.includes(tokens.length)) {
    return VPC_FIELDS.slice(0, tokens.length).map((f) => f.name);
  }
  return undefined;
}

/**
 * Parses a header line; reports unknown names with the nearest known one, saying `where` they are. Names are
 * matched in any case (the documentation writes them in lower case; some exports upper-case the header).
 */
export function parseHeader(line: string, where = 'in the header (line 1)'): { fields: string[]; error?: string } {
  const fields = line.trim().split(/\s+/).map((name) => name.toLowerCase());
  const unknown = fields.filter((name) => !FLOW_FIELDS.has(name));
  if (unknown.length > 0) {
    const described = unknown.map((name) => {
      const near = nearestFieldName(name);
      return near ? `'${name}' (did you mean '${near}'?)` : `'${name}'`;
    });
    return { fields, error: `unknown flow-log field ${described.join(', ')} ${where}` };
  }
  const repeated = fields.find((name, i) => fields.indexOf(name) !== i);
  if (repeated) return { fields, error: `flow-log field '${repeated}' appears twice ${where}` };
  return { fields };
}

/**
 * Parses a flow log's field order as given on the command line (--flow-format): its LogFormat as AWS writes
 * it (`${version} ${account-id} …`) or the plain names separated by spaces, checked as a header line is.
 */
export function parseLogFormat(format: string): { fields: string[]; error?: string } {
  const names = format.replace(/\$\{([^${}\s]*)\}/g, ' $1 ').trim();
  if (!names) return { fields: [], error: '--flow-format: no field names given' };
  // A `${` left without its `}` (or a `}` without its `${`) would otherwise pass its neighbour off as the misspelt name.
  const unclosed = names.split(/\s+/).find((name) => /[${}]/.test(name));
  if (unclosed) return { fields: [], error: `--flow-format: '${unclosed}' is not \${name} or a name (a \${ or } missing?)` };
  return parseHeader(names, 'in --flow-format');
}

const NUMERIC_KINDS = new Set<FlowFieldKind>(['integer', 'port', 'epoch']);

/**
 * Whether a header-less line is a record of the given field order: as many fields, and a number (or '-')
 * wherever the order has a numeric field. Lets a custom format whose first field is not the version be detected.
 */
export function fitsFields(line: string, fields: readonly string[]): boolean {
  const tokens = line.trim().split(/\s+/);
  if (tokens.length !== fields.length) return false;
  const numbers = tokens.filter((_, i) => NUMERIC_KINDS.has(FLOW_FIELDS.get(fields[i]!)?.kind ?? 'text'));
  return numbers.length > 0 && numbers.every((token) => /^(\d+|-)$/.test(token));
}

/** A header line names fields; a data line starts with a number (the version) or '-'. */
export function looksLikeHeader(line: string): boolean {
  const tokens = line.trim().split(/\s+/);
  return tokens.length > 1 && tokens.every((t) => /^[a-z][a-z0-9-]*$/i.test(t)) && tokens.some((t) => FLOW_FIELDS.has(t.toLowerCase()));
}

function nearestFieldName(name: string): string | undefined {
  let best: string | undefined;
  let bestDistance = 3;
  for (const candidate of FLOW_FIELDS.keys()) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}
