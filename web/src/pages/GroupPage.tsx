// One finding group: its severity, the graph of its findings and entities, and both as lists.
import { useCallback, useMemo, useState } from 'react';
import { Async } from '../components/Async';
import { EntityGraph } from '../components/EntityGraph';
import { EntityLink } from '../components/EntityLink';
import { EntityList } from '../components/EntityList';
import { GraphLegend } from '../components/GraphLegend';
import { FindingsTable } from '../components/FindingsTable';
import { Panel } from '../components/Panel';
import { SeverityBadge } from '../components/SeverityBadge';
import { typeName } from '../lib/entities';
import { formatTime } from '../lib/format';
import { type GraphNode, mergedType, mergeSimilarFindings } from '../lib/graph';
import { findingHref } from '../lib/links';
import type { FindingRow, GroupDetail } from '../lib/types';
import { useApi } from '../lib/useApi';

interface SelectedProps {
  node: GraphNode | null;
  findings: FindingRow[];
  onExpand: (type: string) => void;
}

function SelectedNode({ node, findings, onExpand }: SelectedProps) {
  if (!node) return <p className="muted">Select a node to see its links and open it; drag nodes to rearrange; scroll to zoom.</p>;
  if (node.members) {
    const ids = new Set(node.members.map((member) => member.slice('finding:'.length)));
    const type = mergedType(node);
    return (
      <div className="selected-node" data-merged={type}>
        <p>
          {ids.size} similar findings of type <strong>{type}</strong>{' '}
          <button type="button" className="small" onClick={() => onExpand(type)}>
            Expand
          </button>
        </p>
        <ul>
          {findings.filter((f) => ids.has(f.id)).map((f) => (
            <li key={f.id}>
              <a href={findingHref(f.id, f.firstSeen, f.lastSeen)}>{f.title}</a> <span className="muted">{formatTime(f.lastSeen)}</span>
            </li>
          ))}
        </ul>
      </div>
    );
  }
  const id = node.id.slice(node.type.length + 1);
  return (
    <p className="selected-node">
      {typeName(node.type)}: <EntityLink type={node.type} id={id} label={node.label} />
    </p>
  );
}

export function GroupView({ detail }: { detail: GroupDetail }) {
  const { group } = detail;
  const [selected, setSelected] = useState<GraphNode | null>(null);
  const [labels, setLabels] = useState(true);
  const [merge, setMerge] = useState(true);
  const [expanded, setExpanded] = useState<ReadonlySet<string>>(new Set());
  const select = useCallback((node: GraphNode | null) => setSelected(node), []);
  const expand = useCallback((type: string) => {
    setExpanded((before) => new Set([...before, type]));
    setSelected(null);
  }, []);
  const { nodes, edges } = useMemo(
    () => (merge ? mergeSimilarFindings(detail.graph.nodes, detail.graph.edges, expanded) : detail.graph),
    [detail.graph, merge, expanded],
  );
  const mergedNodes = nodes.filter((n) => n.members).length;
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
          <span className="graph-options">
            <label className="small">
              <input type="checkbox" checked={labels} onChange={(e) => setLabels(e.target.checked)} /> labels
            </label>
            <label className="small">
              <input
                type="checkbox"
                name="merge"
                checked={merge}
                onChange={(e) => {
                  setMerge(e.target.checked);
                  setExpanded(new Set());
                  setSelected(null);
                }}
              />{' '}
              merge similar findings
            </label>
          </span>
        }
      >
        <EntityGraph nodes={nodes} edges={edges} showLabels={labels} onSelect={select} />
        <GraphLegend types={nodes.map((n) => n.type)} />
        <p className="muted graph-count">
          {nodes.length} nodes, {edges.length} edges{mergedNodes > 0 && ` · ${mergedNodes} merged node${mergedNodes === 1 ? '' : 's'} of similar findings (double border; select one to expand it)`}
        </p>
        <SelectedNode node={selected} findings={detail.findings} onExpand={expand} />
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
