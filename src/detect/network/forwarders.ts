import type { NetworkDetectionContext } from '../detection.js';
import { type FlowEvent, isPrivateIp } from '../network-event.js';
import { flowLine } from '../network-records.js';
import { DAY, persistedTable } from './flow-windows.js';

/**
 * NAT gateways and NAT instances. A NAT interface logs each connection it forwards twice, as it arrives from
 * the client (10.0.1.21:sport → R:22) and after translation (its own 10.0.0.10:nport → R:22): the same
 * packets and bytes in the same second, from two private addresses (with pkt-dstaddr the lake stores the
 * arriving record's final destination; without it the arriving record is addressed to the NAT: 10.0.1.21 →
 * 10.0.0.10:22). An instance's interface sends a connection once, from its own address. Two such records on
 * one interface mark it as forwarding, remembered in detection state for FORGET_MS.
 *
 * What a forwarding interface sends is the subnet's egress, not one host's: detections that judge a host by
 * its own history or attempts leave it out, and each client's own interface (flow logs on the VPC or subnet)
 * judges that client. Brute force uses it (forwarderRecognition; a detection keeps its own, since detections
 * may run on different threads). An interface with several private addresses (an EKS node's pod addresses)
 * can be taken for a NAT when two of them send alike records to one server within a second.
 */
const NAT_PAIR_MS = 1_000;
/** A NAT is long-lived; an interface not seen forwarding for a month may have been reused. */
const FORGET_MS = 30 * DAY;

interface Logged {
  time: number;
  src: string;
  dst: string;
  dstPort: number | null;
  packets: number;
  bytes: number;
}

/** An interface's records of the last PAIR_SPAN_MS or so, by sizeKey: the candidates to pair a record with. */
interface Recent {
  since: number;
  records: Map<number, Logged>;
}

/**
 * Records kept to pair with: older ones go every PAIR_SPAN_MS of flow time, or when an interface has
 * MAX_RECENT (all interfaces' when MAX_INTERFACES are kept). Few are enough: a NAT is known once any one of
 * its many connections pairs up.
 */
const PAIR_SPAN_MS = 2 * NAT_PAIR_MS;
const MAX_RECENT = 256;
const MAX_INTERFACES = 1_024;

/** A number for the record's server port and size: cheaper per record than a string key (fields compared on a hit). */
const sizeKey = (flow: FlowEvent): number => (flow.bytes * 131 + flow.packets) * 65_536 + (flow.dstPort ?? 0);

const sameSize = (a: Logged, b: Logged): boolean => a.dstPort === b.dstPort && a.packets === b.packets && a.bytes === b.bytes;

/**
 * Two records of one connection through a NAT: from two private addresses, and the translated one to a
 * public address that the arriving one also names (the same remote) or that goes out from the address the
 * arriving one was sent to (v2 without pkt-dstaddr).
 */
function translatedPair(a: Logged, b: Logged): boolean {
  if (a.src === b.src || !sameSize(a, b) || Math.abs(a.time - b.time) > NAT_PAIR_MS) return false;
  const outward = (record: Logged) => !isPrivateIp(record.dst);
  return (a.dst === b.dst && outward(a)) || (a.dst === b.src && outward(b)) || (b.dst === a.src && outward(a));
}

/** The interface's records to pair with, fresh: per run, a few seconds of each interface's records. */
function recentOf(byInterface: Map<string, Recent>, eni: string, time: number): Recent {
  let recent = byInterface.get(eni);
  if (!recent) {
    if (byInterface.size >= MAX_INTERFACES) byInterface.clear();
    byInterface.set(eni, (recent = { since: time, records: new Map() }));
  } else if (time - recent.since > PAIR_SPAN_MS || recent.records.size >= MAX_RECENT) {
    recent.records.clear();
    recent.since = time;
  }
  return recent;
}

export interface ForwarderRecognition {
  /** Learns from the record; whether its interface forwards others' connections. */
  forwarding(flow: FlowEvent, context: NetworkDetectionContext): boolean;
  /** Between runs: forgets interfaces not seen forwarding for FORGET_MS. */
  finish(context: NetworkDetectionContext): void;
}

/** One detection's recognition of forwarding interfaces, kept in its state as table `forwarders`. */
export function forwarderRecognition(): ForwarderRecognition {
  const forwardersTable = persistedTable<number>('forwarders', 4_096);
  /** Per run: each interface's latest private-source records, to pair a NAT's two records of a connection. */
  const recentRecords = new WeakMap<NetworkDetectionContext, Map<string, Recent>>();
  return {
    forwarding(flow, context) {
      const eni = flow.interfaceId;
      if (eni === null || flow.srcIp === null || flow.dstIp === null) return false;
      const forwarders = forwardersTable(context);
      // Both records of a forwarded connection come from private addresses: others cannot be half of a pair.
      if (isPrivateIp(flow.srcIp)) {
        let byInterface = recentRecords.get(context);
        if (!byInterface) recentRecords.set(context, (byInterface = new Map()));
        const { records } = recentOf(byInterface, eni, flow.time);
        const key = sizeKey(flow);
        const record = { time: flow.time, src: flow.srcIp, dst: flow.dstIp, dstPort: flow.dstPort, packets: flow.packets, bytes: flow.bytes };
        const before = records.get(key);
        records.set(key, record);
        if (before && translatedPair(before, record)) forwarders.set(eni, flow.time);
      }
      return forwarders.get(eni) !== undefined;
    },
    finish(context) {
      forwardersTable(context).retainRecent((time) => time, FORGET_MS);
    },
  };
}

// ---- case builders ----

/** A NAT gateway's interface and its own address, a git forge, and CI runners in a private subnet behind it. */
export const NAT = { eni: 'eni-0a00000000000nat1', ip: '10.0.0.10', forge: '140.82.112.3', runners: ['10.0.1.21', '10.0.1.22', '10.0.1.23', '10.0.1.24'] } as const;

/**
 * How a NAT gateway's interface logs one git fetch over SSH by `runner` (no instance id): the record as it
 * arrives (`shape` 'final': with its final destination, as v2 files written that way and the lake's
 * pkt-dstaddr give it; 'nat': addressed to the NAT, as a v2 file without pkt-dstaddr has it; 'none': left
 * out), the record after translation, and the reply. With `direction`, v5's flow-direction field; `port`
 * is the server port (22 unless given).
 */
export function natFetch(runner: string, time: string, i: number, o: { shape?: 'final' | 'nat' | 'none'; direction?: boolean; port?: number } = {}): string[] {
  const shape = o.shape ?? 'final';
  const port = o.port ?? 22;
  const common = { time, packets: 25, bytes: 6_200, eni: NAT.eni, instance: null, tcpFlags: 3 } as const;
  const dir = (d: 'ingress' | 'egress') => (o.direction ? { direction: d } : {});
  const natPort = 20_000 + i;
  return [
    ...(shape === 'none' ? [] : [flowLine({ ...common, src: runner, dst: shape === 'nat' ? NAT.ip : NAT.forge, srcPort: 40_000 + i, dstPort: port, ...dir('ingress') })]),
    flowLine({ ...common, src: NAT.ip, dst: NAT.forge, srcPort: natPort, dstPort: port, ...dir('egress') }),
    flowLine({ ...common, src: NAT.forge, dst: NAT.ip, srcPort: port, dstPort: natPort, bytes: 9_800, packets: 22, tcpFlags: 19, ...dir('ingress') }),
  ];
}
