/**
 * The last answer to each GET, with the lake version it was computed at. While the lake is unchanged it is
 * served without opening the file; while another process writes the lake it is served marked `stale: true`.
 * Bounded by entries and by serialized size, least recently used out first.
 */
interface Entry {
  version: string;
  body: object;
  size: number;
}

export class AnswerCache {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;

  constructor(
    private readonly maxEntries = 500,
    private readonly maxBytes = 64 * 1024 * 1024,
  ) {}

  get(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return entry;
  }

  set(key: string, version: string, body: object): void {
    const size = JSON.stringify(body).length;
    if (size > this.maxBytes / 4) return;
    this.delete(key);
    this.entries.set(key, { version, body, size });
    this.bytes += size;
    for (const [oldest] of this.entries) {
      if (this.entries.size <= this.maxEntries && this.bytes <= this.maxBytes) break;
      this.delete(oldest);
    }
  }

  private delete(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.bytes -= entry.size;
    this.entries.delete(key);
  }
}
