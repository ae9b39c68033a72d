// Any JSON value as text: strings, numbers, lists and nested key/value tables. Never HTML.
import type { ReactNode } from 'react';
import { formatTime } from '../lib/format';

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

export function Value({ value }: { value: unknown }) {
  if (value === null || value === undefined || value === '') return <span className="muted">—</span>;
  if (typeof value === 'string' && ISO_TIME.test(value)) return <>{formatTime(value)}</>;
  if (typeof value !== 'object') return <>{String(value)}</>;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">none</span>;
    return (
      <ul className="value-list">
        {value.map((item, index) => (
          <li key={index}>
            <Value value={item} />
          </li>
        ))}
      </ul>
    );
  }
  return <KeyValue data={value as Record<string, unknown>} />;
}

interface Props {
  data: Record<string, unknown>;
  /** A special rendering for some keys (links); undefined falls back to the plain value. */
  render?: (key: string, value: unknown) => ReactNode | undefined;
}

export function KeyValue({ data, render }: Props) {
  return (
    <dl className="kv">
      {Object.entries(data).map(([key, value]) => (
        <div key={key}>
          <dt>{key}</dt>
          <dd>{render?.(key, value) ?? <Value value={value} />}</dd>
        </div>
      ))}
    </dl>
  );
}
