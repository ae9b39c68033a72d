// Archives or unarchives one finding, then tells the page to reload.
import { useState } from 'react';
import { apiPost } from '../lib/api';

export function ArchiveButton({ id, archived, onDone }: { id: string; archived: boolean; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const toggle = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await apiPost(`/findings/${encodeURIComponent(id)}/${archived ? 'unarchive' : 'archive'}`);
      onDone();
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" className="small" disabled={busy} onClick={toggle} data-action={archived ? 'unarchive' : 'archive'}>
        {archived ? 'Unarchive' : 'Archive'}
      </button>
      {error && <span className="error"> {error}</span>}
    </>
  );
}
