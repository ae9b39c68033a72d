// Loads one API resource; reloads when the path changes or `reload` is called.
import { useCallback, useEffect, useState } from 'react';
import { ApiError, apiGet } from './api';

export interface Loaded<T> {
  data?: T;
  error?: ApiError | Error;
  loading: boolean;
  reload: () => void;
}

export function useApi<T>(path: string | null): Loaded<T> {
  const [state, setState] = useState<{ path: string | null; data?: T; error?: Error }>({ path: null });
  const [version, setVersion] = useState(0);
  const reload = useCallback(() => setVersion((v) => v + 1), []);

  useEffect(() => {
    if (path === null) return;
    const controller = new AbortController();
    apiGet<T>(path, controller.signal).then(
      (data) => setState({ path, data }),
      (error: Error) => {
        if (!controller.signal.aborted) setState({ path, error });
      },
    );
    return () => controller.abort();
  }, [path, version]);

  const current = state.path === path;
  return { data: current ? state.data : undefined, error: current ? state.error : undefined, loading: path !== null && !current, reload };
}
