import type { Detection } from './detection.js';
import { DETECTIONS } from './registry.js';

/**
 * Which detections run on which lane (lanes.ts): lane 0 is the main thread, which also reads every chunk
 * from DuckDB; the others are worker threads. Each source's detections are spread so that every lane has
 * about as much of that source's work, since the sources are read one after the other.
 *
 * CPU per record, in microseconds, of the detections that cost more than 0.1 µs, from CPU profiles of
 * `detect` over the benchmark's lakes (1M CloudTrail events, 1M flow records, 1M DNS queries; see
 * docs/performance.md). Reading is what the main thread spends fetching a record from DuckDB; making is
 * what every lane that runs detections of the source spends making the record into an event.
 */
export const MICROS_PER_RECORD: Readonly<Record<string, number>> = {
  'anomalous-behavior': 3.4,
  'attack-sequence': 1.8,
  'credential-exfiltration': 1.1,
  's3-anomalous-behavior': 1.05,
  'gumshoe-ssm-and-secrets': 0.54,
  'gumshoe-ec2-execution': 0.48,
  'gumshoe-s3-ransomware': 0.47,
  'pentest-user-agent': 0.12,
  'network-traffic-volume': 0.63,
  'network-scans': 0.57,
  'network-rejected-surge': 0.46,
  'network-brute-force': 0.45,
  'first-seen': 0.27,
  'flow-threat-intel': 0.24,
  'network-denial-of-service': 0.22,
  'dns-threat-intel': 1.79,
  'dns-dga-domain': 0.55,
  'dns-domain-reputation': 0.5,
  'dns-metadata-rebind': 0.48,
  'dns-data-exfiltration': 0.3,
};
const OTHER_DETECTION = 0.05;
const READING: Readonly<Record<Detection['source'], number>> = { cloudtrail: 4.5, vpcflow: 1, dns: 3 };
const MAKING: Readonly<Record<Detection['source'], number>> = { cloudtrail: 2.5, vpcflow: 0.6, dns: 1.1 };

/**
 * `detections` over at most `lanes` lanes. Lane 0 keeps the detections that correlate the run's findings
 * (every lane's findings meet there) and any not in the registry (a worker knows only those); the rest go,
 * heaviest first, to the lane whose work grows least with it, counting the making of the source's events on
 * a lane's first detection of that source. Lanes left without a detection are dropped, so there may be fewer
 * lanes than asked for.
 */
export function planLanes(detections: readonly Detection[], lanes: number): Detection[][] {
  if (lanes <= 1) return [[...detections]];
  const plan: Detection[][] = Array.from({ length: lanes }, () => []);
  const cost = (d: Detection) => MICROS_PER_RECORD[d.id] ?? OTHER_DETECTION;
  const mainOnly = (d: Detection) => (d.source === 'cloudtrail' && d.correlate !== undefined) || !DETECTIONS.includes(d);
  for (const source of ['cloudtrail', 'vpcflow', 'dns'] as const) {
    const load = plan.map((_, lane) => (lane === 0 ? READING[source] : 0));
    const makes = plan.map(() => false);
    const after = (d: Detection, lane: number) => load[lane]! + (makes[lane] ? 0 : MAKING[source]) + cost(d);
    const place = (d: Detection, lane: number) => {
      load[lane] = after(d, lane);
      makes[lane] = true;
      plan[lane]!.push(d);
    };
    const ofSource = detections.filter((d) => d.source === source);
    for (const d of ofSource) if (mainOnly(d)) place(d, 0);
    for (const d of ofSource.filter((d) => !mainOnly(d)).sort((a, b) => cost(b) - cost(a))) {
      const totals = load.map((_, lane) => after(d, lane));
      place(d, totals.indexOf(Math.min(...totals)));
    }
  }
  // Each lane calls its detections in the order given, as one lane would.
  const order = new Map(detections.map((d, k) => [d, k]));
  return plan.filter((lane, k) => k === 0 || lane.length > 0).map((lane) => lane.sort((a, b) => order.get(a)! - order.get(b)!));
}
