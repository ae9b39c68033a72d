// One finding group: its severity, the graph of its findings and entities, and both as lists.
import { useCallback, useState } from 'react';
import { Async } from '../components/Async';
import { EntityGraph, type GraphNode } from '../components/EntityGraph';
import { EntityLink } from '../components/EntityLink';
import { EntityList } from '../components/EntityList';
import { GraphLegend } from '../components/GraphLegend';
import { FindingsTable } from '../components/FindingsTable';
import { Panel } from '../components/Panel';
import { SeverityBadge } from '../components/SeverityBadge';
import { typeName } from '../lib/entities';
import { formatTime } from '../lib/format';
import type { GroupDetail } from '../lib/types';
import { useApi } from '../lib/useApi';

function SelectedNode({ node }: { node: GraphNode | null }) {
  if (!node) return <p className="muted">Select a node to see its links and open it; drag nodes to rearrange; scroll to zoom.</p>;
  const id = node.id.slice(node.type.length + 1);
  return (
    <p className="selected-node">
      {typeName(node.type)}: <EntityLink type={node.type} id={id} label={node.label} />
    </p>
  );
}

function GroupView({ detail }: { detail: GroupDetail }) {
  const { group } = detail;
  const nodes = detail.graph.nodes;
  const [selected, setSelected] = useState<GraphNode | null>(null);
  const [labels, setLabels] = useState(true);
  const select = useCallback((node: GraphNode | null) => setSelected(node), []);
  return (
    <>
      <h1>
        <SeverityBadge severity={group.severityLevel} score={group.severity} /> {group.title}
      </h1>
      <p className="muted">
        {group.findings} findings · {formatTime(group.firstSeen)} → {formatTime(group.lastSeen)} · severity is the highest of its findings
      </p>
      <Panel
        title="Visualization"
        id="graph"
        actions={
          <label className="small">
            <input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} /> labels
          </label>
        }
      >
        <EntityGraph nodes={nodes} edges={detail.graph.edges} showLabels={labels} onSelect={select} />
        <GraphLegend types={nodes.map((n) => n.type)} />
        <p className="muted graph-count">
          {nodes.length} nodes, {detail.graph.edges.length} edges
        </p>
        <SelectedNode node={selected} />
      </Panel>
      <div className="grid">
        <Panel wide title="Findings" id="findings">
          <FindingsTable findings={detail.findings} />
        </Panel>
        <Panel title="Involved entities" id="entities">
          <EntityList entities={group.entities} />
        </Panel>
      </div>
    </>
  );
}

export function GroupPage({ id }: { id: string }) {
  const detail = useApi<GroupDetail>(`/groups/${encodeURIComponent(id)}`);
  return (
    <div className="page" data-page="group">
      <Async loaded={detail}>{(d) => <GroupView detail={d} />}</Async>
    </div>
  );
}
