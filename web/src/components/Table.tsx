// A table sorted in the browser by clicking a column header; long ones show their first rows until asked for all.
import { type ReactNode, useState } from 'react';

export interface Column<T> {
  header: string;
  cell: (row: T) => ReactNode;
  sort?: (row: T) => number | string;
  numeric?: boolean;
}

interface Props<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T, index: number) => string;
  empty?: string;
  label?: string;
  /** Rows shown before "Show all". */
  limit?: number;
}

export function Table<T>({ columns, rows, rowKey, empty = 'Nothing in this scope.', label, limit = 25 }: Props<T>) {
  const [order, setOrder] = useState<{ column: number; desc: boolean } | null>(null);
  const [all, setAll] = useState(false);
  const sorter = order ? columns[order.column]?.sort : undefined;
  const sorted = sorter && order
    ? [...rows].sort((a, b) => {
        const x = sorter(a);
        const y = sorter(b);
        const result = x < y ? -1 : x > y ? 1 : 0;
        return order.desc ? -result : result;
      })
    : rows;
  if (rows.length === 0) return <p className="muted empty">{empty}</p>;
  const shown = all ? sorted : sorted.slice(0, limit);
  return (
    <>
      <table className="table" aria-label={label}>
        <thead>
          <tr>
            {columns.map((column, index) => (
              <th key={column.header} className={column.numeric ? 'num' : undefined}>
                {column.sort ? (
                  <button type="button" className="sort" onClick={() => setOrder({ column: index, desc: order?.column === index ? !order.desc : true })}>
                    {column.header}
                    {order?.column === index ? (order.desc ? ' ▼' : ' ▲') : ''}
                  </button>
                ) : (
                  column.header
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {shown.map((row, index) => (
            <tr key={rowKey(row, index)}>
              {columns.map((column) => (
                <td key={column.header} className={column.numeric ? 'num' : undefined}>
                  {column.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {shown.length < rows.length && (
        <button type="button" className="small show-all" onClick={() => setAll(true)}>
          Show all {rows.length}
        </button>
      )}
    </>
  );
}
