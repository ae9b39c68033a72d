// The UI's components rendered to HTML in Node (the app's own Vite config compiles them, as for the browser
// build): what they show for given API data, and that log text stays text.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createElement, type FunctionComponent } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { createServer, type ViteDevServer } from 'vite';
import { type GraphEdge, type GraphNode, mergeSimilarFindings } from '../web/src/lib/graph.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SCOPE = { from: '2026-01-09T00:00:00.000Z', to: '2026-01-10T00:00:00.000Z' };
const XSS = '<img src=x onerror="alert(1)">';

let vite: ViteDevServer;
let ScopeContext: import('react').Context<{ from: string; to: string }>;

before(async () => {
  vite = await createServer({
    configFile: path.join(ROOT, 'web', 'vite.config.ts'),
    server: { middlewareMode: true, hmr: false, ws: false },
    appType: 'custom',
    logLevel: 'error',
    optimizeDeps: { noDiscovery: true, include: [] },
  });
  ({ ScopeContext } = await vite.ssrLoadModule('/src/lib/scopeContext.ts'));
});

after(async () => {
  await vite?.close();
});

/** A component of web/src, rendered inside the scope time as a page would be. */
async function render(module: string, name: string, props: object): Promise<string> {
  const component = (await vite.ssrLoadModule(module))[name] as FunctionComponent<object>;
  return renderToStaticMarkup(createElement(ScopeContext.Provider, { value: SCOPE }, createElement(component, props)));
}

const finding = (id: string, type: string, severity: number): GraphNode => ({ id: `finding:${id}`, type: 'finding', label: type, severity });

describe('group graph: similar findings merged', () => {
  const nodes: GraphNode[] = [
    finding('a', 'Recon:IAMUser/MaliciousIPCaller', 5),
    finding('b', 'Recon:IAMUser/MaliciousIPCaller', 8),
    finding('c', 'Recon:IAMUser/MaliciousIPCaller', 2),
    finding('d', 'Discovery:S3/AnomalousBehavior', 2),
    { id: 'ip:1.2.3.4', type: 'ip', label: '1.2.3.4' },
    { id: 'user:alice', type: 'user', label: 'alice' },
  ];
  const edges: GraphEdge[] = [
    { source: 'finding:a', target: 'ip:1.2.3.4', label: 'remote IP' },
    { source: 'finding:b', target: 'ip:1.2.3.4', label: 'remote IP' },
    { source: 'finding:c', target: 'user:alice', label: 'actor' },
    { source: 'finding:d', target: 'user:alice', label: 'actor' },
  ];

  test('findings of one type become one node with the highest severity; their edges move to it once', () => {
    const merged = mergeSimilarFindings(nodes, edges, new Set());
    const node = merged.nodes.find((n) => n.members)!;
    assert.deepEqual(node, {
      id: 'findings:Recon:IAMUser/MaliciousIPCaller', type: 'finding', label: 'Recon:IAMUser/MaliciousIPCaller ×3', severity: 8,
      members: ['finding:a', 'finding:b', 'finding:c'],
    });
    assert.equal(merged.nodes.length, 4);
    assert.deepEqual(merged.edges, [
      { source: node.id, target: 'ip:1.2.3.4', label: 'remote IP' },
      { source: node.id, target: 'user:alice', label: 'actor' },
      { source: 'finding:d', target: 'user:alice', label: 'actor' },
    ]);
  });

  test('a lone finding of its type, and an expanded type, stay as they are', () => {
    const expanded = mergeSimilarFindings(nodes, edges, new Set(['Recon:IAMUser/MaliciousIPCaller']));
    assert.deepEqual(expanded, { nodes, edges });
    const distinct = nodes.filter((n) => n.id !== 'finding:b' && n.id !== 'finding:c');
    assert.deepEqual(mergeSimilarFindings(distinct, edges, new Set()).nodes, distinct);
  });

  test('the group page draws the merged graph and says so', async () => {
    const group = { id: 'g-a', title: '4 findings involving alice', severity: 8, severityLevel: 'High', findings: 4, types: [], entities: [], firstSeen: SCOPE.from, lastSeen: SCOPE.to };
    const html = await render('/src/pages/GroupPage.tsx', 'GroupView', { detail: { group, findings: [], graph: { nodes, edges } } });
    assert.match(html, /data-nodes="4"/);
    assert.match(html, /data-edges="3"/);
    assert.match(html, /1 merged node of similar findings/);
    assert.match(html, /name="merge" checked=""/);
  });
});

describe('training period notice', () => {
  test('shown with the days the baseline holds; nothing when there is no notice', async () => {
    const notice = await render('/src/components/TrainingNotice.tsx', 'TrainingNotice', { training: { baselineDays: 6.5, requiredDays: 14 } });
    assert.match(notice, /role="note"/);
    assert.match(notice, /holds 6\.5 of the 14 days/);
    assert.equal(await render('/src/components/TrainingNotice.tsx', 'TrainingNotice', { training: null }), '');
  });

  test('newly observed panels carry it', async () => {
    const html = await render('/src/panels/NewlyObservedPanel.tsx', 'NewlyObservedPanel', {
      id: 'newApis', title: 'Newly observed API calls', items: [], training: { baselineDays: 2, requiredDays: 14 },
    });
    assert.match(html, /class="notice training"/);
  });
});

describe('newly observed geolocations', () => {
  const item = { value: 'Frankfurt am Main, Germany', locationKey: 'DE|Frankfurt am Main', countryCode: 'DE', country: 'Germany', city: 'Frankfurt am Main', lat: 50.1, lon: 8.7, ips: ['45.137.21.9'], firstSeen: SCOPE.from, count: 3, failures: 1 };

  test('a location links to its activity details, keeping the scope time', async () => {
    const html = await render('/src/panels/NewlyObservedPanel.tsx', 'NewlyObservedPanel', { id: 'newGeolocations', title: 'Newly observed geolocations', items: [item] });
    const link = /<a href="([^"]+)" title="all API calls from this location">Frankfurt am Main, Germany<\/a>/.exec(html);
    assert.ok(link, html);
    assert.equal(link[1]!.replaceAll('&amp;', '&'), `#/geolocation/${encodeURIComponent('DE|Frankfurt am Main')}?from=${encodeURIComponent(SCOPE.from)}&to=${encodeURIComponent(SCOPE.to)}`);
    assert.match(html, /href="#\/entity\/ip\/45\.137\.21\.9\?/);
  });

  test('attacker-controlled values are text, not markup', async () => {
    const html = await render('/src/panels/NewlyObservedPanel.tsx', 'NewlyObservedPanel', {
      id: 'newUserAgents', title: 'Newly observed user agents', items: [{ value: XSS, firstSeen: SCOPE.from, count: 1 }], linkType: 'useragent',
    });
    assert.ok(!html.includes('<img'), html);
    assert.ok(html.includes('&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'));
  });
});

describe('geolocation activity details', () => {
  const data = {
    location: { key: 'DE|Frankfurt am Main', countryCode: 'DE', country: 'Germany', city: 'Frankfurt am Main', lat: 50.1, lon: 8.7 },
    scope: SCOPE,
    training: null,
    totals: { ips: 3, success: 12, failure: 2 },
    truncated: 1,
    ips: [
      { ip: '45.137.21.9', asn: 64500, asnOrg: 'Example Hosting', success: 9, failure: 2, calls: [{ service: 'iam.amazonaws.com', api: 'CreateUser', principal: XSS, principalType: 'IAMUser', success: 9, failure: 2 }] },
      { ip: '45.137.21.10', asn: null, asnOrg: null, success: 2, failure: 0, calls: [] },
    ],
    resources: [],
  };

  test('the IP tab lists each address with its counts and calls; a cut list says so', async () => {
    const html = await render('/src/pages/GeolocationPage.tsx', 'GeolocationView', { data });
    assert.match(html, /<h1 class="entity-title">Frankfurt am Main, Germany<\/h1>/);
    assert.match(html, /3 IP addresses · 12 successful and 2 failed API calls/);
    assert.match(html, /the 2 busiest addresses are broken down below/);
    assert.match(html, /AS64500 Example Hosting/);
    assert.match(html, /iam\.amazonaws\.com CreateUser by &lt;img src=x onerror=&quot;alert\(1\)&quot;&gt;: 9 ok, 2 failed/);
    assert.ok(!html.includes('<img'));
    assert.ok(!html.includes('notice training'), 'no notice once the baseline is full');
  });
});
