// Interactive graph of a finding group's findings and entities (Cytoscape; labels are canvas text).
import cytoscape from 'cytoscape';
import { useEffect, useRef } from 'react';
import { SEVERITY_COLORS, severityName } from '../lib/format';
import type { GraphEdge, GraphNode } from '../lib/graph';

export const TYPE_COLORS: Record<string, string> = {
  ip: '#2b8a3e',
  user: '#1864ab',
  role: '#5f3dc4',
  session: '#7950f2',
  accesskey: '#0b7285',
  instance: '#e67700',
  bucket: '#a61e4d',
  useragent: '#495057',
  account: '#343a40',
};

const STYLE: cytoscape.StylesheetJson = [
  {
    selector: 'node',
    style: {
      label: 'data(label)',
      'font-size': 11,
      'text-valign': 'bottom',
      'text-margin-y': 4,
      'text-wrap': 'ellipsis',
      'text-max-width': '140px',
      'background-color': 'data(color)',
      width: 22,
      height: 22,
    },
  },
  { selector: 'node[type = "finding"]', style: { shape: 'diamond', width: 30, height: 30 } },
  // Similar findings merged into one node: bigger, with a double border.
  { selector: 'node.merged', style: { width: 40, height: 40, 'border-width': 3, 'border-style': 'double', 'border-color': '#212529' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#000' } },
  { selector: 'edge', style: { width: 1.2, 'line-color': '#ced4da', 'curve-style': 'bezier' } },
  // The selected node's edges stand out, with their role labels.
  { selector: 'edge.near', style: { width: 2.5, 'line-color': '#495057', label: 'data(label)', 'font-size': 9, color: '#343a40', 'text-rotation': 'autorotate' } },
  { selector: '.hide-labels', style: { label: '' } },
];

interface Props {
  nodes: GraphNode[];
  edges: GraphEdge[];
  showLabels: boolean;
  onSelect: (node: GraphNode | null) => void;
}

export function EntityGraph({ nodes, edges, showLabels, onSelect }: Props) {
  const element = useRef<HTMLDivElement>(null);
  const graph = useRef<cytoscape.Core | null>(null);

  useEffect(() => {
    const ids = new Set(nodes.map((n) => n.id));
    const cy = cytoscape({
      container: element.current,
      style: STYLE,
      elements: [
        ...nodes.map((n) => ({
          data: { ...n, color: n.severity !== undefined ? SEVERITY_COLORS[severityName(n.severity)] : (TYPE_COLORS[n.type] ?? '#868e96') },
          classes: n.members ? 'merged' : undefined,
        })),
        ...edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e, i) => ({ data: { id: `e${i}`, ...e } })),
      ],
      layout: { name: 'cose', animate: false, nodeDimensionsIncludeLabels: true, nodeRepulsion: () => 40_000, idealEdgeLength: () => 90, padding: 24 } as cytoscape.LayoutOptions,
    });
    cy.on('tap', 'node', (event) => {
      cy.edges().removeClass('near');
      event.target.connectedEdges().addClass('near');
      onSelect(event.target.data() as GraphNode);
    });
    cy.on('tap', (event) => {
      if (event.target !== cy) return;
      cy.edges().removeClass('near');
      onSelect(null);
    });
    graph.current = cy;
    return () => {
      cy.destroy();
      graph.current = null;
    };
  }, [nodes, edges, onSelect]);

  useEffect(() => {
    graph.current?.elements().toggleClass('hide-labels', !showLabels);
  }, [showLabels, nodes, edges]);

  // Force layouts come out round: bigger graphs get more height so that labels stay readable.
  const height = Math.min(900, Math.max(420, 300 + nodes.length * 8));
  return <div className="graph" ref={element} style={{ height }} data-nodes={nodes.length} data-edges={edges.length} aria-label="finding group graph" />;
}
