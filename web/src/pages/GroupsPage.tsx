// Finding groups in the scope time: findings clustered by shared entities, close in time.
import { Async } from '../components/Async';
import { GroupsTable } from '../components/GroupsTable';
import { query } from '../lib/api';
import { useScope } from '../lib/scopeContext';
import type { Group } from '../lib/types';
import { useApi } from '../lib/useApi';

export function GroupsPage() {
  const scope = useScope();
  const groups = useApi<{ groups: Group[] }>(`/groups${query({ ...scope })}`);
  return (
    <div className="page" data-page="groups">
      <h1>Finding groups</h1>
      <p className="guidance">Findings that share a role session, access key, IP address or instance within 24 hours of each other; a group takes its most severe finding's severity.</p>
      <Async loaded={groups}>{(data) => <GroupsTable groups={data.groups} />}</Async>
    </div>
  );
}
