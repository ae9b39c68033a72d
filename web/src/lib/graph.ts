// Group graphs: similar findings (the same finding type) drawn as one node, as Detective does, until expanded.

export interface GraphNode {
  id: string;
  type: string;
  label: string;
  severity?: number;
  /** A merged node: the finding node ids it stands for. */
  members?: string[];
}

export interface GraphEdge {
  source: string;
  target: string;
  label: string;
}

export const MERGED_PREFIX = 'findings:';

/**
 * Replaces each set of two or more findings of one type by a single node (highest severity, `members`),
 * except the types in `expanded`; their edges move to the merged node, without repeats.
 */
export function mergeSimilarFindings(nodes: GraphNode[], edges: GraphEdge[], expanded: ReadonlySet<string>): { nodes: GraphNode[]; edges: GraphEdge[] } {
  const byType = new Map<string, GraphNode[]>();
  for (const node of nodes) {
    if (node.type !== 'finding' || expanded.has(node.label)) continue;
    byType.set(node.label, [...(byType.get(node.label) ?? []), node]);
  }
  const mergedInto = new Map<string, string>();
  const merged: GraphNode[] = [];
  for (const [type, similar] of byType) {
    if (similar.length < 2) continue;
    const id = `${MERGED_PREFIX}${type}`;
    for (const node of similar) mergedInto.set(node.id, id);
    merged.push({
      id,
      type: 'finding',
      label: `${type} ×${similar.length}`,
      severity: Math.max(...similar.map((n) => n.severity ?? 0)),
      members: similar.map((n) => n.id),
    });
  }
  if (merged.length === 0) return { nodes, edges };
  const seen = new Set<string>();
  const movedEdges: GraphEdge[] = [];
  for (const edge of edges) {
    const moved = { ...edge, source: mergedInto.get(edge.source) ?? edge.source, target: mergedInto.get(edge.target) ?? edge.target };
    const key = JSON.stringify([moved.source, moved.target, moved.label]);
    if (seen.has(key)) continue;
    seen.add(key);
    movedEdges.push(moved);
  }
  return { nodes: [...nodes.filter((n) => !mergedInto.has(n.id)), ...merged], edges: movedEdges };
}

/** The finding type a merged node stands for. */
export const mergedType = (node: GraphNode) => node.id.slice(MERGED_PREFIX.length);
