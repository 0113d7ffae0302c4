import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { FastifyRequest } from 'fastify';
import { accessOf, inputOf, roleMayAccess } from './route-access.js';

function requestFor(url: string | undefined, config: Record<string, unknown>): FastifyRequest {
  return { routeOptions: { url, config } } as unknown as FastifyRequest;
}

test('a route that declares no access needs an admin token (fails closed)', () => {
  assert.equal(accessOf(requestFor('/api/v1/new-thing', {})), 'admin');
  assert.equal(accessOf(requestFor('/_bulk', { access: 'ingest' })), 'ingest');
});

test('the not-found answer needs any valid token', () => {
  assert.equal(accessOf(requestFor(undefined, {})), 'any');
});

test('roles: ingest may ingest, viewer may read, analyst may read and change, admin may do everything', () => {
  const table = {
    ingest: { ingest: true, viewer: false, analyst: false, admin: false, any: true },
    viewer: { ingest: false, viewer: true, analyst: false, admin: false, any: true },
    analyst: { ingest: false, viewer: true, analyst: true, admin: false, any: true },
    admin: { ingest: true, viewer: true, analyst: true, admin: true, any: true },
  } as const;
  for (const [role, row] of Object.entries(table)) {
    for (const [access, allowed] of Object.entries(row)) {
      assert.equal(roleMayAccess(role as 'ingest', access as 'ingest'), allowed, `${role} on ${access}`);
    }
  }
});

test('routes name their metrics input; API routes count as "api"', () => {
  assert.equal(inputOf(requestFor('/x', { input: 'hec' })), 'hec');
  assert.equal(inputOf(requestFor('/x', {})), 'api');
});
