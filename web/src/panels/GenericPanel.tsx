// A panel the UI has no special layout for: item lists as tables, anything else as key/value text.
import { Panel } from '../components/Panel';
import { Table } from '../components/Table';
import { KeyValue, Value } from '../components/Value';

type Row = Record<string, unknown>;

function ItemsTable({ items }: { items: Row[] }) {
  const keys = [...new Set(items.flatMap((item) => Object.keys(item)))];
  return <Table rows={items} rowKey={(_, i) => String(i)} columns={keys.map((key) => ({ header: key, cell: (row: Row) => <Value value={row[key]} /> }))} />;
}

function GenericBody({ data }: { data: unknown }) {
  const items = (data as { items?: unknown } | null)?.items;
  if (Array.isArray(items)) return <ItemsTable items={items as Row[]} />;
  if (data && typeof data === 'object') return Object.keys(data).length ? <KeyValue data={data as Row} /> : null;
  return <Value value={data} />;
}

export function GenericPanel({ id, data }: { id: string; data: unknown }) {
  return (
    <Panel title={id} id={id}>
      <GenericBody data={data} />
    </Panel>
  );
}
