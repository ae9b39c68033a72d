// Creates a suppression rule (an ARCHIVE filter) matching this finding's values of the chosen fields.
import { type FormEvent, useState } from 'react';
import { apiPost } from '../lib/api';
import { SUPPRESSION_FIELDS, valuesAt } from '../lib/findingFields';

const defaultName = (type: string) => `suppress-${type.replace(/[^A-Za-z0-9._-]+/g, '-')}`.slice(0, 64);

export function SuppressForm({ finding, onDone }: { finding: Record<string, unknown> & { id: string; type: string }; onDone: () => void }) {
  const fields = SUPPRESSION_FIELDS.map((path) => ({ path, values: valuesAt(finding, path) })).filter((f) => f.values.length > 0);
  const [chosen, setChosen] = useState<Set<string>>(() => new Set(['type']));
  const [name, setName] = useState(defaultName(finding.type));
  const [result, setResult] = useState<{ ok: boolean; message: string }>();

  const toggle = (path: string) =>
    setChosen((current) => {
      const next = new Set(current);
      if (next.has(path)) next.delete(path);
      else next.add(path);
      return next;
    });
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await apiPost(`/findings/${encodeURIComponent(finding.id)}/suppress`, { name, fields: [...chosen] });
      setResult({ ok: true, message: `Suppression rule "${name}" created: new findings that match it are archived as they are found.` });
      onDone();
    } catch (e) {
      setResult({ ok: false, message: (e as Error).message });
    }
  };

  return (
    <form className="suppress-form" onSubmit={submit} aria-label="suppression rule">
      <label>
        Rule name <input value={name} onChange={(e) => setName(e.target.value)} required minLength={3} maxLength={64} pattern="[A-Za-z0-9._\-]+" />
      </label>
      <fieldset>
        <legend>Archive future findings whose values equal this finding's:</legend>
        {fields.map((f) => (
          <label key={f.path} className="field-choice">
            <input type="checkbox" checked={chosen.has(f.path)} onChange={() => toggle(f.path)} />
            <code>{f.path}</code> = <span className="value">{f.values.join(', ')}</span>
          </label>
        ))}
      </fieldset>
      <button type="submit" disabled={chosen.size === 0}>
        Create suppression rule
      </button>
      {result && <p className={result.ok ? 'ok' : 'error'}>{result.message}</p>}
    </form>
  );
}
