// The raw log records behind a finding; each expands to its original text (shown as text, never HTML).
import { formatTime } from '../lib/format';
import type { FindingDetail } from '../lib/types';
import { Table } from './Table';

const baseName = (file: string) => file.split(/[\\/]/).pop() ?? file;

const rawText = (raw: unknown) => (typeof raw === 'string' ? prettyJson(raw) : JSON.stringify(raw, null, 2));

function prettyJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

export function EvidenceTable({ evidence }: { evidence: FindingDetail['evidence'] }) {
  return (
    <Table
      label="evidence"
      rows={evidence}
      rowKey={(e, i) => `${e.eventUid}-${i}`}
      empty="No evidence records were kept for this finding."
      columns={[
        { header: 'Time', cell: (e) => formatTime(e.time), sort: (e) => e.time },
        {
          header: 'Source',
          cell: (e) => <span title={e.file}>{`${baseName(e.file)}${e.line ? `:${e.line}` : ''}`}</span>,
          sort: (e) => e.file,
        },
        {
          header: 'Record',
          cell: (e) => (
            <details className="evidence">
              <summary>{e.eventUid ?? e.source ?? 'record'}</summary>
              <pre className="raw">{rawText(e.raw)}</pre>
            </details>
          ),
        },
      ]}
    />
  );
}
