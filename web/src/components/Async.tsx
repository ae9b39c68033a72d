// Loading, error and token states around one API resource; renders `children` once data is there.
import type { ReactNode } from 'react';
import { ApiError } from '../lib/api';
import type { Loaded } from '../lib/useApi';
import { TokenForm } from './TokenForm';

export function Async<T>({ loaded, children }: { loaded: Loaded<T>; children: (data: T) => ReactNode }) {
  if (loaded.error) {
    if (loaded.error instanceof ApiError && loaded.error.status === 401) return <TokenForm onSaved={loaded.reload} />;
    return (
      <p className="error" role="alert">
        {loaded.error.message}
      </p>
    );
  }
  if (loaded.data === undefined) return <p className="muted loading">Loading…</p>;
  return <>{children(loaded.data)}</>;
}
