// Header search: any identifier (ARN, user, key, IP, instance, bucket, finding id, user agent).
import { type FormEvent, useState } from 'react';
import { searchHref } from '../lib/links';
import { navigate } from '../lib/route';
import { useScope } from '../lib/scopeContext';

export function SearchBox() {
  const scope = useScope();
  const [q, setQ] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (q.trim()) navigate(searchHref(q.trim(), scope));
  };
  return (
    <form className="search-box" role="search" onSubmit={submit}>
      <input type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Search ARN, key, IP, instance, bucket, finding…" aria-label="search" />
    </form>
  );
}
