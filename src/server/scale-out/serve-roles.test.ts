import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VigilError } from '../../core/errors.js';
import { isAllRoles, parseRoles, rolesText } from './serve-roles.js';

describe('vigil serve --role', () => {
  it('reads one role, several separated by commas, or all', () => {
    assert.equal(rolesText(parseRoles('ingest')), 'ingest');
    assert.equal(rolesText(parseRoles('api, Store')), 'store,api');
    assert.equal(rolesText(parseRoles('all')), 'ingest,detect,store,api');
    assert.ok(isAllRoles(parseRoles('ingest,detect,store,api')));
    assert.ok(!isAllRoles(parseRoles('store,api')));
  });

  it('names the word it does not know and lists the roles', () => {
    assert.throws(() => parseRoles('ingest,search'), (e: unknown) => e instanceof VigilError && /unknown role "search"; use ingest, detect, store, api or all/.test(e.message));
    assert.throws(() => parseRoles(' , '), /at least one of/);
  });
});
