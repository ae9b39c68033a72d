import { protocolName } from '../detect/network-event.js';
import { DNS_PREDICATE, type Entity, flowRows } from './entities.js';
import { ITEM_LIMIT, type PanelRequest } from './panels-api.js';
import { bucketStarts, bucketUnit, coveredDays, DAY, iso, type Window } from './scope.js';
import { num, type Params, rows, str, time, ts } from './sql.js';
import { badRequest, ipAddress } from './validation.js';

/** RFC 1918, loopback, link-local, CGNAT, IPv6 ULA/link-local/multicast and IPv4-mapped private, as detect/network-event.ts isPrivateIp. */
const isPrivate = (column: string) =>
  `regexp_matches(coalesce(${column}, ''), '^(10\\.|127\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|169\\.254\\.|100\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.|[fF][cCdD][0-9a-fA-F]{2}:|[fF][eE][89abAB][0-9a-fA-F]:|[fF][fF][0-9a-fA-F]{2}:|::1$|::$|::[fF]{4}:(10\\.|127\\.|192\\.168\\.|172\\.(1[6-9]|2[0-9]|3[01])\\.|169\\.254\\.|100\\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\\.))')`;

/**
 * Whether a flow record is inbound to or outbound from the interface that logged it: the flow-direction field
 * when the format has it, else the private end is local, else the lower (service) port is local — the same
 * rule as detect/network-event.ts flowSides.
 */
export const INTERFACE_DIRECTION = `CASE
  WHEN connection_info_direction = 'Inbound' THEN 'in'
  WHEN connection_info_direction = 'Outbound' THEN 'out'
  WHEN ${isPrivate('dst_endpoint_ip')} AND NOT ${isPrivate('src_endpoint_ip')} THEN 'in'
  WHEN ${isPrivate('src_endpoint_ip')} AND NOT ${isPrivate('dst_endpoint_ip')} THEN 'out'
  WHEN dst_endpoint_port < src_endpoint_port THEN 'in'
  ELSE 'out' END`;

/** Direction relative to the entity: for an IP, traffic to it is inbound. */
const DIRECTION: Partial<Record<Entity['type'], string>> = {
  instance: INTERFACE_DIRECTION,
  ip: "CASE WHEN dst_endpoint_ip = $id THEN 'in' ELSE 'out' END",
};

/** The entity's flow records in [$from, $to), each with its direction relative to the entity. */
function flows(request: PanelRequest, extra = ''): string {
  const direction = DIRECTION[request.entity.type];
  if (!direction) throw new Error(`no flow direction for ${request.entity.type}`);
  return `(SELECT *, ${direction} AS dir FROM (${flowRows(request.entity, `time >= $from AND time < $to${extra}`)}))`;
}

const params = (request: PanelRequest, window: Window, extra: Params = {}): Params => ({ ...request.entity.params, from: ts(window.from), to: ts(window.to), ...extra });

interface FlowBucket {
  time: string;
  bytesIn: number;
  bytesOut: number;
  flows: number;
}

function fill(scope: Window, found: Record<string, unknown>[]): FlowBucket[] {
  const byTime = new Map(found.map((r) => [num(r.bucket), r]));
  return bucketStarts(scope).map((t) => {
    const r = byTime.get(t);
    return { time: iso(t), bytesIn: num(r?.bytes_in), bytesOut: num(r?.bytes_out), flows: num(r?.flows) };
  });
}

/** Overall VPC flow volume in and out, per bucket. */
export async function flowVolume(request: PanelRequest) {
  const found = await rows(
    request.context.connection,
    `SELECT date_trunc('${bucketUnit(request.scope)}', time) AS bucket,
            sum(traffic_bytes) FILTER (WHERE dir = 'in') AS bytes_in, sum(traffic_bytes) FILTER (WHERE dir = 'out') AS bytes_out, count(*) AS flows
     FROM ${flows(request)} GROUP BY bucket`,
    params(request, request.scope),
  );
  return { buckets: fill(request.scope, found) };
}

/** Above-baseline means more than this many times the bytes the baseline's daily average predicts for the scope. */
export const PORT_ABOVE_RATIO = 2;

/** Flow volume by service port (the lower port of the pair) and protocol, against the baseline. */
export async function flowByPort(request: PanelRequest) {
  const found = await rows(
    request.context.connection,
    `SELECT least(src_endpoint_port, dst_endpoint_port) AS port, connection_info_protocol_num AS protocol,
            sum(traffic_bytes) FILTER (WHERE time >= $scope) AS bytes, count(*) FILTER (WHERE time >= $scope) AS flows,
            sum(traffic_bytes) FILTER (WHERE time < $scope) AS baseline_bytes
     FROM ${flows(request)} GROUP BY ALL`,
    params(request, { from: request.baseline.from, to: request.scope.to }, { scope: ts(request.scope.from) }),
  );
  const baselineDays = coveredDays(request.baseline, request.lakeFirst);
  const scopeDays = (request.scope.to - request.scope.from) / DAY;
  const items = found
    .filter((r) => num(r.flows) > 0)
    .map((r) => {
      const baselineDailyAvg = num(r.baseline_bytes) / baselineDays;
      const baselineBytes = Math.round(baselineDailyAvg * scopeDays);
      const bytes = num(r.bytes);
      return {
        port: r.port === null ? null : num(r.port),
        protocol: protocolName(r.protocol === null ? null : num(r.protocol)),
        bytes,
        flows: num(r.flows),
        baselineBytes,
        baselineDailyAvg,
        aboveBaseline: bytes > PORT_ABOVE_RATIO * baselineBytes,
      };
    })
    .sort((a, b) => b.bytes - a.bytes || (a.port ?? -1) - (b.port ?? -1));
  return { baselineDays, items: items.slice(0, ITEM_LIMIT) };
}

/** Traffic between the entity and one remote IP: volume over time and the connections behind it. */
export async function peerTraffic(request: PanelRequest) {
  if (!request.query.peer) throw badRequest('peer: give the remote IP address, e.g. ?peer=203.0.113.7');
  const peer = ipAddress('peer', request.query.peer);
  const p = params(request, request.scope, { peer });
  const from = `FROM ${flows(request, ' AND (src_endpoint_ip = $peer OR dst_endpoint_ip = $peer)')}`;
  const buckets = await rows(
    request.context.connection,
    `SELECT date_trunc('${bucketUnit(request.scope)}', time) AS bucket,
            sum(traffic_bytes) FILTER (WHERE dir = 'in') AS bytes_in, sum(traffic_bytes) FILTER (WHERE dir = 'out') AS bytes_out, count(*) AS flows
     ${from} GROUP BY bucket`,
    p,
  );
  const connections = await rows(
    request.context.connection,
    `SELECT CASE WHEN dir = 'in' THEN dst_endpoint_port ELSE src_endpoint_port END AS local_port,
            CASE WHEN dir = 'in' THEN src_endpoint_port ELSE dst_endpoint_port END AS remote_port,
            connection_info_protocol_num AS protocol, dir,
            sum(traffic_bytes) FILTER (WHERE dir = 'in') AS bytes_in, sum(traffic_bytes) FILTER (WHERE dir = 'out') AS bytes_out,
            count(*) FILTER (WHERE action = 'Allowed') AS accepted, count(*) FILTER (WHERE action = 'Denied') AS rejected,
            min(time) AS first, max(time) AS last
     ${from} GROUP BY ALL ORDER BY coalesce(bytes_in, 0) + coalesce(bytes_out, 0) DESC LIMIT ${ITEM_LIMIT}`,
    p,
  );
  return {
    peer,
    buckets: fill(request.scope, buckets),
    items: connections.map((r) => ({
      localPort: r.local_port === null ? null : num(r.local_port),
      remotePort: r.remote_port === null ? null : num(r.remote_port),
      protocol: protocolName(r.protocol === null ? null : num(r.protocol)),
      direction: r.dir === 'in' ? 'inbound' : 'outbound',
      bytesIn: num(r.bytes_in),
      bytesOut: num(r.bytes_out),
      accepted: num(r.accepted),
      rejected: num(r.rejected),
      firstSeen: time(r.first),
      lastSeen: time(r.last),
    })),
  };
}

/** Domains the instance (or IP) looked up through Route 53 Resolver. */
export async function dnsQueries(request: PanelRequest) {
  const predicate = DNS_PREDICATE[request.entity.type];
  if (!predicate) throw new Error(`no DNS predicate for ${request.entity.type}`);
  const found = await rows(
    request.context.connection,
    `SELECT query_hostname AS domain, count(*) AS n, min(time) AS first, max(time) AS last, list(DISTINCT rcode)[1:5] AS rcodes
     FROM dns_activity WHERE time >= $from AND time < $to AND ${predicate}
     GROUP BY 1 ORDER BY n DESC, domain LIMIT ${ITEM_LIMIT}`,
    params(request, request.scope),
  );
  return { items: found.map((r) => ({ domain: str(r.domain), count: num(r.n), firstSeen: time(r.first), lastSeen: time(r.last), rcodes: r.rcodes ?? [] })) };
}
