import { SingleBar } from 'cli-progress';
import type { IngestProgress } from '../lake/ingest-api.js';

/** A progress line on a terminal (files, records/s, MB read); silent when output is piped. */
export function ingestProgress(): { update(progress: IngestProgress): void; stop(): void } {
  if (!process.stderr.isTTY || process.env.CI) return { update() {}, stop() {} };
  const started = Date.now();
  const bar = new SingleBar(
    {
      format: 'ingest | {files} files | {records} records | {rate} records/s | {mb} MB | {current}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
  );
  bar.start(1, 0, { files: 0, records: 0, rate: 0, mb: 0, current: '' });
  return {
    update(progress) {
      const seconds = Math.max((Date.now() - started) / 1000, 0.001);
      bar.update(0, {
        files: progress.filesDone,
        records: progress.records,
        rate: Math.round(progress.records / seconds),
        mb: (progress.bytes / 1e6).toFixed(0),
        current: shorten(progress.currentUri ?? ''),
      });
    },
    stop() {
      bar.stop();
    },
  };
}

function shorten(uri: string): string {
  return uri.length > 60 ? `…${uri.slice(-59)}` : uri;
}
