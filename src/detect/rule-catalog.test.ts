import assert from 'node:assert/strict';
import { sep } from 'node:path';
import { describe, it } from 'node:test';
import { safeRelativePath } from './rule-catalog.js';

describe('import paths from a browser folder upload', () => {
  it('keeps the folder layout of plain names', () => {
    assert.equal(safeRelativePath('sigma/rules/linux/auditd/x.yml'), ['sigma', 'rules', 'linux', 'auditd', 'x.yml'].join(sep));
    assert.equal(safeRelativePath('rules\\windows\\proc (1).yml'), ['rules', 'windows', 'proc (1).yml'].join(sep));
    assert.equal(safeRelativePath('/abs/./x.yml'), ['abs', 'x.yml'].join(sep));
    assert.equal(safeRelativePath('C:\\rules\\x.yml'), ['rules', 'x.yml'].join(sep));
  });

  it('refuses parent folders, hidden files, control characters and empty paths', () => {
    for (const bad of ['../x.yml', 'a/../../x.yml', '.git/config.yml', 'a/.x.yml', 'a/b\u0000.yml', 'a/b\n.yml', '', '///', 'a/' + 'b'.repeat(200) + '.yml']) {
      assert.equal(safeRelativePath(bad), undefined, JSON.stringify(bad));
    }
  });
});
