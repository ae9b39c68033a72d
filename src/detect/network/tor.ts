import type { IntelLookup } from '../../intel/lookup.js';
import type { FlowDetection, NetworkCase } from '../detection.js';
import { connectionAction, connectionOf, instanceKey, remoteServes } from './connection.js';
import { connectionLines, everyMinute } from './flow-case-builders.js';

/**
 * UnauthorizedAccess:EC2/TorClient and TorRelay (guardduty.md §2.3 #24, 25), from the Tor node lists
 * (`TorRelays` from onionoo, every running relay with its OR addresses; `TorExitNodes`).
 *
 * - TorClient: the instance opens a TCP connection to a Tor node (guard, directory authority or any
 *   relay; ORPorts are usually 9001 or 443, but any port counts since relays choose their own). Raised
 *   per connection, blocked ones too. The request record of each connection counts; when the record does
 *   not show who opened it (no TCP flags, two ephemeral ports: a guard with a high ORPort), the Tor node is
 *   the server.
 * - TorRelay: within one RELAY_WINDOW, the instance ACCEPTed inbound TCP connections from at least
 *   RELAY_MIN_PEERS distinct non-exit Tor relays to one local port (its ORPort) AND opened connections to at
 *   least RELAY_MIN_PEERS distinct relays: relays both receive circuits from relays and extend them to others.
 *   Circuits reach a relay from guards and middles; exits carry traffic out of Tor, so a web site visited
 *   over Tor sees inbound connections from exits only, which never count, even when the site's host is
 *   also a Tor client reaching guards and directory servers. Raised once per window. A relay's own
 *   outbound connections also raise TorClient: it does talk to relays.
 * Tor lists hold IPv4 and IPv6 relays (onionoo or_addresses; exits by their Exit flag).
 */
const CLIENT = 'UnauthorizedAccess:EC2/TorClient';
const RELAY = 'UnauthorizedAccess:EC2/TorRelay';
const TCP = 6;
const RELAY_WINDOW_MS = 3_600_000;
const RELAY_MIN_PEERS = 5;
/** Local ports tracked per window: an ORPort is one of few ports relays connect to. */
const MAX_PORTS = 16;

interface RelayWindow {
  start: number;
  /** Local port → distinct relays that connected to it (up to RELAY_MIN_PEERS). */
  inbound: Record<string, string[]>;
  /** Distinct relays the instance connected to (up to RELAY_MIN_PEERS). */
  outbound: string[];
  raised: boolean;
}

const isTorNode = (ip: string, intel: IntelLookup) => intel.isTorRelay(ip) || intel.isTorExit(ip);
/** A relay that extends circuits to other relays; an exit's connections in are a web site's Tor visitors. */
const extendsCircuits = (ip: string, intel: IntelLookup) => intel.isTorRelay(ip) && !intel.isTorExit(ip);

const addPeer = (peers: string[], ip: string) => {
  if (peers.length < RELAY_MIN_PEERS && !peers.includes(ip)) peers.push(ip);
};

// Tor directory authorities (moria1, tor26, dizum, gabelmoo, dannenberg, maatuska, longclaw, bastet) and
// relays as onionoo lists them.
const AUTHORITIES = ['128.31.0.39', '86.59.21.38', '45.66.33.45', '131.188.40.189', '193.23.244.244', '171.25.193.9', '199.58.81.140', '204.13.164.118'];
const RELAYS = ['185.220.101.4', '185.220.101.33', '192.0.2.150', '109.70.100.4', '198.51.100.171', '185.220.100.240', '203.0.113.172', '192.0.2.151', '171.25.193.77', '185.100.87.41'];
const EXITS = ['185.220.101.33', '109.70.100.4', '185.220.100.240', '171.25.193.77', '185.100.87.41'];
const MIDDLES = RELAYS.filter((ip) => !EXITS.includes(ip));
const torIntel = { torRelays: [...AUTHORITIES, ...RELAYS], torExits: EXITS };
const ORPORT = 9001;

/** An hour of a middle relay's life: relays connect to its ORPort, it extends circuits to other relays. */
const relayHour = (peers: number) =>
  everyMinute('2026-11-02T14:00:00Z', peers, (time, i) => [
    ...connectionLines({ remote: MIDDLES[i]!, opener: 'remote', port: ORPORT, time, seconds: 600, bytesUp: 2_300_000, bytesDown: 2_250_000 }),
    ...connectionLines({ remote: RELAYS[(i + 3) % RELAYS.length]!, opener: 'instance', port: i % 2 ? 443 : 9001, time, seconds: 600, bytesUp: 2_250_000, bytesDown: 2_300_000 }),
  ]);

const cases = (): NetworkCase[] => [
  {
    name: 'Tor bootstraps: directory authorities on 443/9131, then a guard on 9001',
    flows: [
      ...connectionLines({ remote: AUTHORITIES[0]!, opener: 'instance', port: 9131, time: '2026-11-02T09:00:00Z', bytesDown: 680_000 }),
      ...connectionLines({ remote: AUTHORITIES[3]!, opener: 'instance', port: 443, time: '2026-11-02T09:00:05Z', bytesDown: 420_000 }),
      ...everyMinute('2026-11-02T09:01:00Z', 10, (time) => connectionLines({ remote: RELAYS[2]!, opener: 'instance', port: ORPORT, time, bytesUp: 40_000, bytesDown: 310_000 })),
    ],
    intel: torIntel,
    expect: [CLIENT],
  },
  {
    name: 'a blocked connection to a guard relay still shows a Tor client (no flow-direction field)',
    flows: connectionLines({ remote: RELAYS[4]!, opener: 'instance', port: 443, time: '2026-11-02T09:00:00Z', action: 'REJECT', withDirection: false }),
    intel: torIntel,
    expect: [CLIENT],
  },
  {
    name: 'a middle relay: five relays connect to its ORPort and it connects to five relays within the hour',
    flows: relayHour(5),
    intel: torIntel,
    expect: [CLIENT, RELAY],
  },
  {
    name: 'a web server visited over Tor from five exits, whose Tor client bootstraps through six relays, is not a relay',
    flows: [
      ...everyMinute('2026-11-02T14:00:00Z', 10, (time, i) => connectionLines({ remote: EXITS[i % EXITS.length]!, opener: 'remote', port: 443, time, bytesDown: 90_000 })),
      ...everyMinute('2026-11-02T14:00:30Z', 6, (time, i) => connectionLines({ remote: [...AUTHORITIES.slice(0, 3), ...MIDDLES.slice(0, 3)][i]!, opener: 'instance', port: ORPORT, time })),
    ],
    intel: torIntel,
    expect: [CLIENT],
  },
  {
    name: 'a web site visited over Tor Browser (inbound from exits only) raises nothing',
    flows: everyMinute('2026-11-02T14:00:00Z', 20, (time, i) => connectionLines({ remote: EXITS[i % 3]!, opener: 'remote', port: 443, time, bytesDown: 120_000 })),
    intel: torIntel,
    expect: [],
  },
  {
    name: 'relays scanning closed ports, and an app using port 9001 on a host that is not a relay',
    flows: [
      ...[22, 23, 9001, 3389].flatMap((port, i) => connectionLines({ remote: RELAYS[i]!, opener: 'remote', port, time: `2026-11-02T14:0${i}:00Z`, action: 'REJECT' })),
      ...connectionLines({ remote: '198.51.100.90', opener: 'instance', port: 9001, time: '2026-11-02T14:05:00Z' }),
    ],
    intel: torIntel,
    expect: [],
  },
  {
    name: 'relay-like traffic spread over hours never fills one window',
    flows: [0, 1, 2, 3, 4].flatMap((i) => [
      ...connectionLines({ remote: RELAYS[i]!, opener: 'remote', port: ORPORT, time: `2026-11-02T${10 + 2 * i}:00:00Z` }),
      ...connectionLines({ remote: RELAYS[i + 3]!, opener: 'instance', port: ORPORT, time: `2026-11-02T${10 + 2 * i}:00:10Z` }),
    ]),
    intel: torIntel,
    expect: [CLIENT],
  },
];

export const tor: FlowDetection = {
  id: 'tor',
  source: 'vpcflow',
  types: [
    {
      type: CLIENT,
      dataSource: 'VPCFlowLogs',
      severity: 8,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0011 Command and Control', technique: 'T1090.003 Proxy: Multi-hop Proxy' },
      title: 'EC2 instance {instance} is connecting to Tor node {ip}.',
      description: 'EC2 instance {instance} opened a connection to {ip}, a Tor guard, relay or directory authority: software on the instance is using Tor, which attackers use to hide command and control and exfiltration.',
      remediation: 'If Tor is not meant to run on the instance, find and remove it (process listening or connecting on the reported ports), investigate how it got there, and block outbound traffic to Tor nodes.',
    },
    {
      type: RELAY,
      dataSource: 'VPCFlowLogs',
      severity: 8,
      resourceType: 'Instance',
      mitre: { tactic: 'TA0011 Command and Control', technique: 'T1090.003 Proxy: Multi-hop Proxy' },
      title: 'EC2 instance {instance} is acting as a Tor relay.',
      description: 'EC2 instance {instance} accepted connections from {inboundRelays} Tor relays on port {orPort} and connected to {outboundRelays} others within an hour: it is relaying Tor traffic.',
      remediation: 'Unless running a Tor relay is intended (and allowed for the account), stop the relay, find how it was installed, and close the ORPort in the security group.',
    },
  ],
  onFlow(flow, context) {
    if (flow.protocol !== TCP || flow.srcIp === null || flow.dstIp === null) return;
    const sides = connectionOf(flow);
    const remote = sides.remoteIp!;
    if (!isTorNode(remote, context.intel)) return;
    const connection = remoteServes(flow, sides);
    const outbound = connection.direction === 'OUTBOUND';
    if (outbound && connection.request) {
      context.emit({ type: CLIENT, event: flow, action: connectionAction(flow, connection, context.intel), resourceRole: 'ACTOR', remoteIp: remote });
    }
    if (flow.action !== 'ACCEPT' || connection.direction === 'UNKNOWN' || (!outbound && connection.localPort === null)) return;
    const window = context.state<RelayWindow>(`relay:${instanceKey(flow) ?? connection.localIp}`, () => ({ start: flow.time, inbound: {}, outbound: [], raised: false }));
    if (flow.time - window.start >= RELAY_WINDOW_MS) Object.assign(window, { start: flow.time, inbound: {}, outbound: [], raised: false });
    if (outbound) addPeer(window.outbound, remote);
    else if (extendsCircuits(remote, context.intel)) {
      const port = String(connection.localPort);
      const peers = window.inbound[port] ?? (Object.keys(window.inbound).length < MAX_PORTS ? (window.inbound[port] = []) : undefined);
      if (peers) addPeer(peers, remote);
    }
    if (window.raised || window.outbound.length < RELAY_MIN_PEERS) return;
    const orPort = Object.keys(window.inbound).find((port) => window.inbound[port]!.length >= RELAY_MIN_PEERS);
    if (orPort === undefined) return;
    window.raised = true;
    context.emit({
      type: RELAY,
      event: flow,
      action: connectionAction(flow, connection, context.intel),
      resourceRole: 'ACTOR',
      remoteIp: remote,
      additionalInfo: { orPort: Number(orPort), inboundRelays: window.inbound[orPort]!.length, outboundRelays: window.outbound.length },
      vars: { orPort, inboundRelays: window.inbound[orPort]!.length, outboundRelays: window.outbound.length },
    });
  },
  cases,
};
