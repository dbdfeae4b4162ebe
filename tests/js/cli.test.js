// The native command-line program: commands work, bad arguments get a one-line error and a
// non-zero exit, never a crash.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('path');
const { spawnSync } = require('child_process');

const cnn = path.join(__dirname, '..', '..', 'build', 'native', 'cnn');
const run = (...args) => spawnSync(cnn, args, { encoding: 'utf8' });

test('summary and gradcheck of zoo models', () => {
  const s = run('summary', '--model', 'convnetjs');
  assert.equal(s.status, 0, s.stderr);
  assert.match(s.stdout, /Total params: 5,994/);
  const g = run('gradcheck', '--model', 'lenet5');
  assert.equal(g.status, 0, g.stdout + g.stderr);
  assert.match(g.stdout, /ok$/m);
});

test('bad arguments: one line, non-zero exit', () => {
  for (const [args, code, pattern] of [
    [['train', '--model', 'lenet5', '--lr', 'abc'], 2, /--lr must be a number/],
    [['train', '--bogus', '1'], 2, /unknown option '--bogus'/],
    [['frobnicate'], 2, /unknown command 'frobnicate'/],
    [['summary', '--model', 'no_such_model'], 1, /no model 'no_such_model'/],
    [['eval', '--model', __filename], 1, /not a model file/],
    [['summary', '--model'], 2, /--model needs a value/],
  ]) {
    const r = run(...args);
    assert.equal(r.status, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('--help on each command', () => {
  for (const c of ['train', 'eval', 'summary', 'gradcheck']) {
    const r = run(c, '--help');
    assert.equal(r.status, 0);
    assert.match(r.stdout, new RegExp(`usage: cnn ${c}`));
  }
});
