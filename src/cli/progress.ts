import { SingleBar } from 'cli-progress';
import type { IngestProgress } from '../lake/ingest-api.js';
import { exitOnInterrupt } from './common.js';

/** What an interrupted ingest keeps, and how to finish it. */
const INTERRUPTED_INGEST = 'the files committed so far stay in the lake; run the same command again to read the rest';

/**
 * An ingest's progress line on a terminal (files, records/s, MB read), silent when output is piped or `quiet`.
 * Until stop(), Ctrl-C ends the ingest at once, saying what was kept, with the terminal's cursor given back.
 */
export function ingestProgress(quiet = false): { update(progress: IngestProgress): void; stop(): void } {
  const bar = quiet || !process.stderr.isTTY || process.env.CI ? undefined : startBar();
  const stopCatchingInterrupts = exitOnInterrupt(INTERRUPTED_INGEST, () => bar?.stop());
  return {
    update: bar?.update ?? (() => {}),
    stop() {
      stopCatchingInterrupts();
      bar?.stop();
    },
  };
}

function startBar(): { update(progress: IngestProgress): void; stop(): void } {
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
