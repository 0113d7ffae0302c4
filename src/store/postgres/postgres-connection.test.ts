/**
 * What the state store does when PostgreSQL is not there: nothing listening, a server that
 * accepts and never answers, a connection cut under a running store, a database that does not
 * exist, options that cannot work. Real sockets throughout; no call may hang.
 */
import { createServer, connect, type AddressInfo, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isVigilError, type VigilError } from '../../core/errors.js';
import { queryTimeoutMs } from './postgres-connection.js';
import { PostgresStateStore } from './postgres-state-store.js';
import { TEST_POSTGRES_URL, adminQuery, dropSchema, uniqueSchema, withPostgres } from './postgres-test-server.js';

function urlAt(port: number, database = 'test'): string {
  const url = new URL(TEST_POSTGRES_URL);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  url.pathname = `/${database}`;
  return url.toString();
}

function listen(server: Server, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** A port nothing listens on: bound, then released. */
async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await closeServer(server);
  return port;
}

async function timed<T>(promise: Promise<T>): Promise<{ error: VigilError; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (e) {
    assert.ok(isVigilError(e), `a VigilError, got ${String(e)}`);
    return { error: e, ms: performance.now() - started };
  }
  assert.fail('expected a failure');
}

describe('PostgresStateStore without a server', () => {
  it('says which server it cannot reach and how to check, at once when nothing listens', async () => {
    const port = await freePort();
    const { error, ms } = await timed(PostgresStateStore.open({ url: urlAt(port), connectTimeoutMs: 5000 }));
    assert.equal(error.code, 'store-unavailable');
    assert.match(error.message, new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port} \\(database test`));
    assert.match(error.message, new RegExp(`pg_isready -h 127\\.0\\.0\\.1 -p ${port}`));
    assert.ok(ms < 3000, `failed after ${Math.round(ms)} ms`);
  });

  it('gives up after connectTimeoutMs on a server that accepts and never answers', async () => {
    const sockets = new Set<Socket>();
    const silent = createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    const port = await listen(silent);
    try {
      const { error, ms } = await timed(PostgresStateStore.open({ url: urlAt(port), connectTimeoutMs: 300 }));
      assert.equal(error.code, 'store-unavailable');
      assert.match(error.message, new RegExp(`cannot reach PostgreSQL at 127\\.0\\.0\\.1:${port}`));
      assert.ok(ms >= 250 && ms < 3000, `failed after ${Math.round(ms)} ms`);
      assert.equal(sockets.size, 1, 'one attempt, then the pool was closed');
    } finally {
      for (const s of sockets) s.destroy();
      await closeServer(silent);
    }
  });

  it('refuses options that cannot work before connecting, naming the option', async () => {
    const cases: [Parameters<typeof PostgresStateStore.open>[0], RegExp][] = [
      [{ url: 'not a url' }, /not a URL/],
      [{ url: 'mysql://db:3306/vigil' }, /must start with postgres:\/\//],
      [{ url: TEST_POSTGRES_URL, schema: 'Bad-Name' }, /schema must be lower-case/],
      [{ url: `${TEST_POSTGRES_URL}?options=-c%20search_path%3Dx`, schema: 'vigil' }, /not both/],
      [{ url: TEST_POSTGRES_URL, poolSize: 0 }, /poolSize must be a whole number from 1/],
      [{ url: TEST_POSTGRES_URL, statementTimeoutMs: 1.5 }, /statementTimeoutMs/],
    ];
    for (const [options, message] of cases) {
      const { error } = await timed(PostgresStateStore.open(options));
      assert.equal(error.code, 'config-invalid', String(options.url));
      assert.match(error.message, message);
    }
  });
});

await withPostgres('PostgresStateStore with a failing server', () => {
  describe('PostgresStateStore with a failing server', () => {
    const schema = uniqueSchema('vigil_conn');
    after(() => dropSchema(schema));

    it('names a missing database and how to create it, without the password', async () => {
      const url = new URL(urlAt(Number(new URL(TEST_POSTGRES_URL).port || 5432), 'vigil_no_such_database'));
      // Under trust authentication any password is accepted; otherwise the test URL's own is kept.
      if (url.password === '') url.password = 'secret-password';
      const { error } = await timed(PostgresStateStore.open({ url: url.toString() }));
      assert.equal(error.code, 'store-unavailable');
      assert.match(error.message, /vigil_no_such_database/);
      assert.match(error.message, /createdb -h 127\.0\.0\.1/);
      assert.ok(!error.message.includes(decodeURIComponent(url.password)), 'the password stays out of the message');
    });

    it('tells a user without the right to create tables what to grant', async () => {
      const role = uniqueSchema('vigil_role');
      await adminQuery(`CREATE ROLE ${role} LOGIN PASSWORD 'vigil-role-test'`);
      try {
        const url = new URL(TEST_POSTGRES_URL);
        url.username = role;
        url.password = 'vigil-role-test';
        // A new role may not create a schema in any PostgreSQL version (no CREATE on the database).
        const { error } = await timed(PostgresStateStore.open({ url: url.toString(), schema: uniqueSchema() }));
        assert.equal(error.code, 'store-unavailable');
        assert.match(error.message, /permission denied for database/);
        assert.match(error.message, /grant the user CREATE on the schema/);
      } finally {
        await adminQuery(`DROP ROLE ${role}`);
      }
    });

    it('fails calls quickly while the connection is cut, and recovers when the server is back', async () => {
      // A TCP relay in front of the real server: cutting it is the network or the server going away.
      const upstream = new URL(TEST_POSTGRES_URL);
      const pairs = new Set<Socket>();
      const relay = () =>
        createServer((client) => {
          const server = connect(Number(upstream.port || 5432), upstream.hostname);
          for (const s of [client, server]) {
            pairs.add(s);
            s.on('error', () => undefined);
            s.on('close', () => pairs.delete(s));
          }
          client.pipe(server).pipe(client);
        });
      let proxy = relay();
      const port = await listen(proxy);
      const store = await PostgresStateStore.open({ url: urlAt(port, upstream.pathname.slice(1)), schema, connectTimeoutMs: 500, poolSize: 2 });
      try {
        await store.createToken({ id: 't', name: 'n', role: 'admin', tenant: 'a', hash: 'h', created: 1, revoked: false });
        for (const s of pairs) s.destroy();
        await closeServer(proxy);
        const { error, ms } = await timed(store.listTokens());
        assert.equal(error.code, 'store-unavailable');
        assert.match(error.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
        assert.ok(ms < 3000, `failed after ${Math.round(ms)} ms`);
        const next = await timed(store.findTokenByHash('h'));
        assert.match(next.error.message, /cannot reach PostgreSQL/);
        proxy = relay();
        await listen(proxy, port);
        assert.equal((await store.findTokenByHash('h'))?.id, 't', 'a new connection once the server answers again');
      } finally {
        await store.close();
        for (const s of pairs) s.destroy();
        await closeServer(proxy);
      }
    });

    it('fails a call after the query timeout when the server stops answering without closing', async () => {
      const upstream = new URL(TEST_POSTGRES_URL);
      const sockets = new Set<Socket>();
      let silent = false;
      const proxy = createServer((client) => {
        const server = connect(Number(upstream.port || 5432), upstream.hostname);
        for (const s of [client, server]) {
          sockets.add(s);
          s.on('error', () => undefined);
        }
        // Forwards until told to go silent, then swallows everything: a hung server or a
        // black-holed route, where no RST ever arrives.
        client.on('data', (b) => silent || server.write(b));
        server.on('data', (b) => silent || client.write(b));
      });
      const port = await listen(proxy);
      const store = await PostgresStateStore.open({ url: urlAt(port, upstream.pathname.slice(1)), schema, statementTimeoutMs: 300, poolSize: 1 });
      try {
        await store.createToken({ id: 't2', name: 'n', role: 'admin', tenant: 'a', hash: 'h2', created: 1, revoked: false });
        assert.equal((await store.findTokenByHash('h2'))?.id, 't2');
        silent = true;
        const { error, ms } = await timed(store.listUsers());
        assert.equal(error.code, 'store-unavailable');
        assert.match(error.message, /did not answer in time/);
        assert.ok(ms >= queryTimeoutMs(300) - 50 && ms < queryTimeoutMs(300) + 2000, `failed after ${Math.round(ms)} ms`);
      } finally {
        silent = false;
        for (const s of sockets) s.destroy();
        await store.close();
        await closeServer(proxy);
      }
    });
  });
});
