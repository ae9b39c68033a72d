/**
 * Persisted detection state must stay JSON and bounded: a plain object used as a map that keeps at most
 * `cap` keys, dropping the oldest inserted first. New keys are rare (a new trail, a new bucket), so the
 * O(cap) key count on insert does not matter.
 */
export function remember<V>(map: Record<string, V>, key: string, value: V, cap: number): void {
  if (!Object.hasOwn(map, key)) {
    const keys = Object.keys(map);
    for (let i = 0; i <= keys.length - cap; i++) delete map[keys[i]!];
  }
  map[key] = value;
}
