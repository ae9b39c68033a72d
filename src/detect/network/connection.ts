/**
 * What flow detections share: which end opened the connection a flow record belongs to, the key an
 * instance's history is kept under, and GuardDuty's networkConnectionAction for a flow.
 */
import { remoteIpDetails } from '../../findings/build.js';
import type { FindingAction } from '../../findings/guardduty-finding.js';
import type { IntelLookup, ThreatMatch } from '../../intel/lookup.js';
import { type FlowEvent, type FlowSides, flowSides, portName, protocolName } from '../network-event.js';

const TCP = 6;
const SYN = 2;
const ACK = 16;
/** Linux's default ephemeral range starts here (Windows' at 49152): a port above it is a client's. */
const EPHEMERAL_START = 32768;

/**
 * Whether the record's source opened the connection, as far as the record shows it, or undefined when it
 * does not. A well-known port (< 1024) facing an ephemeral one settles it: the well-known end serves.
 * Otherwise TCP flags do: flow logs report SYN as 2 and SYN-ACK as 18, so SYN without ACK is the opener's
 * record. Otherwise the server is the end with the well-known port, else the end outside the ephemeral range.
 */
function sourceOpened(flow: FlowEvent): boolean | undefined {
  const src = flow.srcPort;
  const dst = flow.dstPort;
  const ports = src !== null && dst !== null && src !== dst;
  if (ports && ((dst < 1024 && src >= EPHEMERAL_START) || (src < 1024 && dst >= EPHEMERAL_START))) return dst < 1024;
  const flags = flow.tcpFlags;
  if (flow.protocol === TCP && flags !== null && (flags & SYN) !== 0) return (flags & ACK) === 0;
  if (!ports) return undefined;
  if (src < 1024 !== dst < 1024) return dst < 1024;
  if (src >= EPHEMERAL_START !== dst >= EPHEMERAL_START) return src >= EPHEMERAL_START;
  return undefined;
}

/** A guess for two distinct ports of the same class (both ephemeral, or both registered): the lower one serves. */
function lowerPortServes(flow: FlowEvent): boolean | undefined {
  const { srcPort, dstPort } = flow;
  return srcPort !== null && dstPort !== null && srcPort !== dstPort ? dstPort < srcPort : undefined;
}

export interface Connection extends FlowSides {
  /** OUTBOUND: the interface opened the connection (it is the client); INBOUND: the remote end did. */
  direction: FlowSides['direction'];
  /** This record carries the opener's packets (client → server), not the replies. */
  request: boolean;
  /**
   * The record showed who opened the connection (ports of different classes, TCP flags). When false, the
   * direction is a guess (the lower port serves) or the record's own (equal or no ports: ICMP, NTP 123↔123),
   * and both records of one exchange may claim to be the request.
   */
  openerKnown: boolean;
}

// Every flow detection asks about the same flow in turn: the last answers are kept.
let lastFlow: FlowEvent | undefined;
let lastConnection: Connection | undefined;
let lastThreatsFlow: FlowEvent | undefined;
let lastIntel: IntelLookup | undefined;
let lastThreats: readonly ThreatMatch[] = [];

/**
 * The connection a flow record belongs to, from the interface's side. Both records of one connection (the
 * request and the reply, logged separately) give the same local/remote ends and the same direction.
 * Shared between detections: read-only.
 */
export function connectionOf(flow: FlowEvent): Readonly<Connection> {
  if (flow === lastFlow) return lastConnection!;
  const connection = flowSides(flow) as Connection;
  const known = sourceOpened(flow);
  const opened = known ?? lowerPortServes(flow);
  connection.openerKnown = known !== undefined;
  connection.request = opened ?? true;
  // flowSides' local end is the record's source exactly when the record is outbound.
  if (opened !== undefined) connection.direction = opened === (connection.direction !== 'INBOUND') ? 'OUTBOUND' : 'INBOUND';
  lastFlow = flow;
  lastConnection = connection;
  return connection;
}

/**
 * The connection with the remote end as its server when the record does not show who opened it and the
 * lower-port guess is weak, for peers that serve by nature (C&C servers, mining pools, sinkholes, Tor
 * relays): the interface opened it, and the record it sent is the request, so an exchange counts once.
 * The guess is weak with two ephemeral ports (a team server on 50050 called from 45000) and without
 * distinct ports (ICMP, 123↔123). Two ports below the ephemeral range keep it: instances (Linux, Windows)
 * call out from ephemeral ports, so such a pair is a remote client with a low range (FreeBSD's 10000+)
 * reaching the instance's service. Shared between detections: read-only.
 */
export function remoteServes(flow: FlowEvent, connection: Readonly<Connection>): Readonly<Connection> {
  const { openerKnown, localPort, remotePort } = connection;
  if (openerKnown || (localPort !== remotePort && localPort !== null && remotePort !== null && localPort < EPHEMERAL_START)) return connection;
  return { ...connection, direction: 'OUTBOUND', request: flow.dstIp === connection.remoteIp };
}

/** The threat lists holding the flow's remote address (none without one). Shared between detections: read-only. */
export function remoteThreats(flow: FlowEvent, intel: IntelLookup): readonly ThreatMatch[] {
  if (flow !== lastThreatsFlow || intel !== lastIntel) {
    const remote = connectionOf(flow).remoteIp;
    lastThreats = remote ? intel.ipThreats(remote) : [];
    lastThreatsFlow = flow;
    lastIntel = intel;
  }
  return lastThreats;
}

/** The key an instance's flow history is kept under: its instance id, else its network interface. */
export function instanceKey(flow: FlowEvent): string | null {
  return flow.instanceId ?? flow.interfaceId;
}

export const ipDetails = (ip: string) => (ip.includes(':') ? { ipAddressV6: ip } : { ipAddressV4: ip });

/** GuardDuty's NETWORK_CONNECTION action for a flow, seen as the connection it belongs to. */
export function connectionAction(flow: FlowEvent, connection: Readonly<Connection>, intel: IntelLookup): FindingAction {
  const { localIp, localPort, remoteIp, remotePort } = connection;
  return {
    actionType: 'NETWORK_CONNECTION',
    networkConnectionAction: {
      blocked: flow.action === 'REJECT',
      connectionDirection: connection.direction,
      ...(localPort !== null ? { localPortDetails: { port: localPort, portName: portName(localPort) } } : {}),
      ...(remotePort !== null ? { remotePortDetails: { port: remotePort, portName: portName(remotePort) } } : {}),
      protocol: protocolName(flow.protocol),
      ...(localIp ? { localIpDetails: ipDetails(localIp) } : {}),
      ...(flow.interfaceId ? { localNetworkInterface: flow.interfaceId } : {}),
      ...(remoteIp ? { remoteIpDetails: remoteIpDetails(remoteIp, intel) } : {}),
    },
  };
}
