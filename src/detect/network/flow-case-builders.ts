/**
 * Flow-log lines for whole connections in detection cases: VPC Flow Logs record each direction of a
 * connection as its own record, so an accepted connection is a request record and a reply record.
 */
import { CASE_PRIVATE_IP, type FlowOptions, flowLine } from '../network-records.js';

export interface ConnectionOptions {
  /** The remote end. */
  remote: string;
  /** The instance's own address (default CASE_PRIVATE_IP). */
  local?: string;
  /** Which end opened the connection: the instance (outbound) or the remote end (inbound). */
  opener: 'instance' | 'remote';
  /** The server's port (the remote's when outbound, the instance's when inbound). */
  port: number;
  /** The client's ephemeral port. */
  clientPort?: number;
  protocol?: 'tcp' | 'udp';
  time: string;
  seconds?: number;
  /** Client → server. */
  bytesUp?: number;
  /** Server → client. */
  bytesDown?: number;
  /** REJECT: only the request is logged, the reply never happens. */
  action?: 'ACCEPT' | 'REJECT';
  /** Write the v5 flow-direction field (default), or '-' as in formats without it. */
  withDirection?: boolean;
  instance?: string | null;
  eni?: string;
}

/** The flow-log lines of one connection: the request record, then the reply record when it was accepted. */
export function connectionLines(o: ConnectionOptions): string[] {
  const local = o.local ?? CASE_PRIVATE_IP;
  const outbound = o.opener === 'instance';
  const client = outbound ? local : o.remote;
  const server = outbound ? o.remote : local;
  const clientPort = o.clientPort ?? 50_000 + (Date.parse(o.time) / 1000) % 10_000;
  const tcp = (o.protocol ?? 'tcp') === 'tcp';
  const dir = (instanceSends: boolean) => (o.withDirection === false ? undefined : instanceSends ? 'egress' : 'ingress');
  const common: Omit<FlowOptions, 'src' | 'dst'> = { time: o.time, seconds: o.seconds, protocol: o.protocol, instance: o.instance, eni: o.eni };
  const upBytes = o.bytesUp ?? 620;
  const downBytes = o.bytesDown ?? 4_800;
  const request = flowLine({
    ...common,
    src: client,
    dst: server,
    srcPort: clientPort,
    dstPort: o.port,
    bytes: upBytes,
    packets: Math.max(1, Math.ceil(upBytes / 600)),
    action: o.action ?? 'ACCEPT',
    direction: dir(outbound),
    // SYN (+FIN) from the client; a rejected SYN is all there is.
    tcpFlags: tcp ? (o.action === 'REJECT' ? 2 : 3) : 0,
  });
  if (o.action === 'REJECT') return [request];
  const reply = flowLine({
    ...common,
    src: server,
    dst: client,
    srcPort: o.port,
    dstPort: clientPort,
    bytes: downBytes,
    packets: Math.max(1, Math.ceil(downBytes / 1400)),
    action: 'ACCEPT',
    direction: dir(!outbound),
    // SYN-ACK (+FIN), as flow logs report it.
    tcpFlags: tcp ? 19 : 0,
  });
  return [request, reply];
}

/** `count` times the same minute-spaced thing, starting at `start`: (iso time, index) → lines. */
export function everyMinute(start: string, count: number, lines: (time: string, i: number) => string[]): string[] {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) => lines(new Date(t0 + i * 60_000).toISOString(), i)).flat();
}
