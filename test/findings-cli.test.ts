import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { runCli } from './helpers/cli.js';
import { scratchDir } from './helpers/lake.js';

const scratch = scratchDir('gumshoe-filters-');
const db = path.join(scratch.dir, 'lake.duckdb');
after(() => scratch.cleanup());

const ok = (args: string[]) => {
  const result = runCli(args);
  assert.equal(result.status, 0, result.stderr);
  return result.stdout;
};
const names = () => (JSON.parse(ok(['filters', 'list', '--json', '--db', db])) as { rank: number; name: string }[]).map((f) => `${f.rank}:${f.name}`);

describe('gumshoe filters', () => {
  test('add, list, show, update and remove round-trip', () => {
    assert.match(
      ok(['filters', 'add', '--name', 'bastion-ssh', '--db', db, '--action', 'ARCHIVE', '--description', 'bastions take SSH from anywhere',
        '--criteria', '{"criterion":{"type":{"eq":["UnauthorizedAccess:EC2/SSHBruteForce"]},"resource.instanceDetails.tags.value":{"eq":["bastion"]}}}']),
      /added filter "bastion-ssh" at rank 1 \(ARCHIVE: suppresses matching findings\)/,
    );
    const criteriaFile = path.join(scratch.dir, 'scanner.json');
    writeFileSync(criteriaFile, JSON.stringify({ Criterion: { type: { Eq: ['Recon:EC2/Portscan'] } } }));
    assert.match(ok(['filters', 'add', '--name', 'scanner', '--criteria', `@${criteriaFile}`, '--rank', '1', '--db', db]),
      /added filter "scanner" at rank 1 \(NOOP: saved view, archives nothing\)/);
    assert.deepEqual(names(), ['1:scanner', '2:bastion-ssh']);

    const table = ok(['filters', 'list', '--db', db]);
    assert.match(table, /rank\s+name\s+action\s+attributes\s+description/);
    assert.match(table, /2\s+bastion-ssh\s+ARCHIVE\s+type, resource\.instanceDetails\.tags\.value\s+bastions take SSH from anywhere/);

    const shown = JSON.parse(ok(['filters', 'show', 'scanner', '--db', db]));
    assert.equal(shown.action, 'NOOP');
    assert.deepEqual(shown.findingCriteria, { criterion: { type: { equals: ['Recon:EC2/Portscan'] } } });

    const updated = JSON.parse(ok(['filters', 'update', 'bastion-ssh', '--rank', '1', '--action', 'NOOP', '--json', '--db', db]));
    assert.deepEqual([updated.rank, updated.action, updated.version], [1, 'NOOP', 2]);
    assert.deepEqual(names(), ['1:bastion-ssh', '2:scanner']);

    assert.match(ok(['filters', 'remove', 'bastion-ssh', '--db', db]), /removed filter "bastion-ssh"/);
    assert.deepEqual(names(), ['1:scanner']);
  });

  test('bad criteria exit 2 with one line naming the field', () => {
    const result = runCli(['filters', 'add', '--name', 'typo', '--db', db, '--criteria', '{"criterion":{"service.archivd":{"eq":["false"]}}}']);
    assert.equal(result.status, 2);
    assert.equal(
      result.stderr.trim(),
      'gumshoe: invalid --criteria: criterion "service.archivd": unknown attribute (did you mean "service.archived"?)',
    );
    const operator = runCli(['filters', 'update', 'scanner', '--db', db, '--criteria', '{"criterion":{"severity":{"greater":5}}}']);
    assert.equal(operator.status, 2);
    assert.match(operator.stderr, /^gumshoe: invalid --criteria: criterion "severity": unknown operator "greater"/);
    const json = runCli(['filters', 'add', '--name', 'broken', '--db', db, '--criteria', '{criterion']);
    assert.equal(json.status, 2);
    assert.match(json.stderr, /--criteria is not valid JSON/);
    assert.doesNotMatch(result.stderr + operator.stderr + json.stderr, /\n\s+at /);
    assert.deepEqual(names(), ['1:scanner'], 'nothing was stored or changed');
  });

  test('other user errors exit 2: unknown filter, duplicate name, bad name, bad rank or action', () => {
    const cases: [string[], RegExp][] = [
      [['filters', 'show', 'nope'], /no filter named "nope"/],
      [['filters', 'remove', 'nope'], /no filter named "nope"/],
      [['filters', 'add', '--name', 'scanner', '--criteria', '{"criterion":{"type":{"eq":["x"]}}}'], /already exists/],
      [['filters', 'add', '--name', 'a b', '--criteria', '{"criterion":{"type":{"eq":["x"]}}}'], /3–64 characters/],
      [['filters', 'add', '--name', 'ranked', '--rank', '0', '--criteria', '{"criterion":{"type":{"eq":["x"]}}}'], /must be an integer from 1 to 100/],
      [['filters', 'add', '--name', 'acted', '--action', 'DELETE', '--criteria', '{"criterion":{"type":{"eq":["x"]}}}'], /NOOP, ARCHIVE/],
      [['filters', 'update', 'scanner'], /nothing to update/],
    ];
    for (const [args, message] of cases) {
      const result = runCli([...args, '--db', db]);
      assert.equal(result.status, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, message, args.join(' '));
    }
  });
});
