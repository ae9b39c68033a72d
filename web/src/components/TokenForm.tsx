// Asks for the API token when the server is bound beyond loopback (it prints the token at start).
import { type FormEvent, useState } from 'react';
import { setToken } from '../lib/api';

export function TokenForm({ onSaved }: { onSaved: () => void }) {
  const [token, setValue] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setToken(token.trim());
    onSaved();
  };
  return (
    <form className="token-form" onSubmit={submit}>
      <p>This server needs the API token printed by <code>gumshoe serve</code>.</p>
      <input type="password" value={token} onChange={(e) => setValue(e.target.value)} placeholder="token" aria-label="API token" />
      <button type="submit">Use token</button>
    </form>
  );
}
