import assert from 'node:assert/strict';
import { test } from 'node:test';
import { boundedMap, getEntry, HABIT_AGE, wasHabit } from '../src/detect/cloudtrail/gumshoe-common.js';

test('a full habit map forgets one-offs before a routine that is used every day, however long ago it was first seen', () => {
  const habits = boundedMap<number>();
  const day = 24 * 3_600_000;
  const cap = 100;
  wasHabit(habits, 'nightly-deploy', 0, cap);
  for (let d = 1; d <= 30; d++) {
    // Each day: the routine, then a crowd of principals seen once.
    assert.equal(wasHabit(habits, 'nightly-deploy', d * day, cap), true, `day ${d}: the routine is still a habit`);
    for (let i = 0; i < 20; i++) wasHabit(habits, `one-off-${d}-${i}`, d * day + i, cap);
  }
  assert.ok(getEntry(habits, 'nightly-deploy') === 0 && HABIT_AGE < day, 'kept with the day it was first seen');
  assert.equal(getEntry(habits, 'one-off-1-0'), undefined, 'an early one-off is forgotten first');
});
