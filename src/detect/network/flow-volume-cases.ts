/** Helpers for the cases of the volumetric flow detections (brute force, scans, volume, surges). */

/** `count` ISO times `seconds` apart from `start`. */
export function spaced(start: string, count: number, seconds: number): string[] {
  const t0 = Date.parse(start);
  return Array.from({ length: count }, (_, i) => new Date(t0 + i * seconds * 1000).toISOString());
}

/** The same lines for each of `times`, flattened. */
export function each(times: string[], lines: (time: string, i: number) => string[]): string[] {
  return times.flatMap(lines);
}
