import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { checkTarget, resolveInside } from '../src/util/static-server';
import { PAGE_DIR, startPageServer, type PageServer } from '../src/render/server';
import { startViewerServer, type ViewerServer } from '../src/replay/server';
import { tempDir } from './helpers/suites';

const SECRET = 'top secret: outside every served folder';

interface Raw {
  status: number;
  headers: string;
  body: string;
}

/** Send a raw request line (no client-side normalisation) to 127.0.0.1 and read the whole answer. */
function raw(port: number, target: string, opts: { method?: string; host?: string } = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1', () =>
      s.write(`${opts.method ?? 'GET'} ${target} HTTP/1.1\r\nHost: ${opts.host ?? `127.0.0.1:${port}`}\r\nConnection: close\r\n\r\n`),
    );
    let buf = '';
    s.on('data', (d) => (buf += d.toString('latin1')));
    s.on('end', () => {
      const cut = buf.indexOf('\r\n\r\n');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(buf)?.[1] ?? 0), headers: buf.slice(0, cut), body: buf.slice(cut + 4) });
    });
    s.on('error', reject);
  });
}

/** The escapes every server must refuse, for a mount at `prefix`; `link` is a symlink in that mount pointing outside it. */
function escapes(prefix: string, link?: string): [string, string][] {
  return [
    ['../ traversal', `${prefix}../../../../../../etc/passwd`],
    ['/../ at the root', '/../../../../../../etc/passwd'],
    ['%2e%2e/', `${prefix}%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd`],
    ['%2E%2E%2F', `${prefix}%2E%2E%2F%2E%2E%2Fetc%2Fpasswd`],
    ['..%2f', `${prefix}..%2f..%2f..%2f..%2fetc%2fpasswd`],
    ['double-encoded %252e%252e%252f', `${prefix}%252e%252e%252fetc%252fpasswd`],
    ['backslash', `${prefix}..\\..\\..\\etc\\passwd`],
    ['encoded backslash', `${prefix}..%5c..%5cetc%5cpasswd`],
    ['NUL', `${prefix}x.js%00.png`],
    ['//etc/passwd', '//etc/passwd'],
    ['/%2Fetc%2Fpasswd', '/%2Fetc%2Fpasswd'],
    ['dotfile', `${prefix}.secret`],
    ...(link ? [['symlink out of the root', `${prefix}${link}`] as [string, string]] : []),
  ];
}

describe('static server guard (unit)', () => {
  it('decodes a plain path and refuses escapes', () => {
    expect(checkTarget('/a/b%20c.png?x=1')).toEqual({ ok: true, path: '/a/b c.png' });
    expect(checkTarget('/..%2fx')).toMatchObject({ ok: false, status: 403 });
    expect(checkTarget('/%E0%A4%A')).toMatchObject({ ok: false, status: 400 });
    expect(checkTarget('http://127.0.0.1/x')).toMatchObject({ ok: false, status: 400 });
    const root = tempDir('simgate-guard-');
    writeFileSync(join(root, 'f.txt'), 'x');
    expect(resolveInside(root, '/f.txt')).toEqual({ ok: true, file: join(root, 'f.txt') });
    expect(resolveInside(root, '/g.txt')).toMatchObject({ ok: false, status: 404 });
  });
});

describe('render page server', () => {
  let server: PageServer;
  let port: number;
  // No symlink here: the page folder is part of the source tree. The one guard both servers use
  // is tested with symlinks out of the root on the viewer server below.
  beforeAll(async () => {
    server = await startPageServer();
    port = Number(new URL(server.url).port);
  });
  afterAll(async () => {
    await server?.close();
  });

  it('serves the index page, the page modules and three on 127.0.0.1', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
    const index = await raw(port, '/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('/page/main.js');
    const main = await raw(port, '/page/main.js');
    expect(main.status).toBe(200);
    expect(main.headers).toMatch(/content-type: text\/javascript/i);
    expect(main.body).toBe(readFileSync(join(PAGE_DIR, 'main.js'), 'latin1'));
    expect((await raw(port, '/three/three.module.js')).status).toBe(200);
    expect((await raw(port, '/page/nope.js')).status).toBe(404);
    expect((await raw(port, '/page/')).status).toBe(404); // no listings
  });

  it.each(escapes('/page/'))('refuses %s', async (_what, target) => {
    const r = await raw(port, target);
    expect(r.status).toBe(403);
    expect(r.body).not.toContain(SECRET);
    expect(r.body).not.toContain('root:');
  });

  it('refuses the same escapes under /three/', async () => {
    for (const [, target] of escapes('/three/')) expect((await raw(port, target)).status).toBe(403);
  });

  it('refuses a foreign Host header and other methods', async () => {
    expect((await raw(port, '/page/main.js', { host: 'evil.example' })).status).toBe(403);
    expect((await raw(port, '/page/main.js', { method: 'POST' })).status).toBe(405);
  });
});

describe('replay viewer server', () => {
  let server: ViewerServer;
  const dir = tempDir('simgate-viewer-');
  const root = join(dir, 'results');
  beforeAll(async () => {
    mkdirSync(join(root, 'replay', 'p', 'abcd'), { recursive: true });
    writeFileSync(join(root, 'results.json'), '{"ok":true}');
    writeFileSync(join(root, 'replay', 'p', 'abcd', 'replay.json'), '{"steps":1}');
    writeFileSync(join(root, '.secret'), SECRET);
    writeFileSync(join(dir, 'secret.txt'), SECRET);
    symlinkSync(join(dir, 'secret.txt'), join(root, 'secret-link.txt'));
    symlinkSync(dir, join(root, 'link-out'));
    server = await startViewerServer({ root, prepare: async (policy, id) => ({ rel: `replay/${policy}/${id}`, ok: true, message: 'fine' }) });
  });
  afterAll(async () => server?.close());

  it('serves the viewer, files of the results folder, and files written after it started', async () => {
    expect((await raw(server.port, '/')).body).toContain('/_viewer/viewer.js');
    expect((await raw(server.port, '/_viewer/viewer.js')).status).toBe(200);
    const r = await raw(server.port, '/results.json');
    expect(r.status).toBe(200);
    expect(r.headers).toMatch(/content-type: application\/json/i);
    expect(r.body).toBe('{"ok":true}');
    expect((await raw(server.port, '/replay/p/abcd/replay.json')).body).toBe('{"steps":1}');
    writeFileSync(join(root, 'later.json'), '[1]');
    expect((await raw(server.port, '/later.json')).body).toBe('[1]');
    expect((await raw(server.port, '/replay/')).status).toBe(404); // no listings
  });

  it('answers the prepare API', async () => {
    const r = await raw(server.port, '/api/prepare?policy=p&episode=abcd', { method: 'POST' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ rel: 'replay/p/abcd', ok: true, message: 'fine' });
    expect((await raw(server.port, '/api/prepare?policy=p&episode=../x', { method: 'POST' })).status).toBe(400);
  });

  it.each([...escapes('/', 'secret-link.txt'), ['symlinked folder out of the root', '/link-out/secret.txt'] as [string, string], ['traversal from the viewer assets', '/_viewer/../results.json'] as [string, string]])(
    'refuses %s',
    async (_what, target) => {
      const r = await raw(server.port, target);
      expect(r.status).toBe(403);
      expect(r.body).not.toContain(SECRET);
      expect(r.body).not.toContain('root:');
    },
  );

  it('refuses a foreign Host header (DNS rebinding)', async () => {
    expect((await raw(server.port, '/results.json', { host: 'evil.example:80' })).status).toBe(403);
  });

  it('close() ends keep-alive connections', async () => {
    const s2 = await startViewerServer({ root });
    const sock = connect(s2.port, '127.0.0.1');
    await new Promise<void>((ok) => sock.once('connect', () => ok()));
    sock.write(`GET /results.json HTTP/1.1\r\nHost: 127.0.0.1:${s2.port}\r\nConnection: keep-alive\r\n\r\n`);
    await new Promise<void>((ok) => sock.once('data', () => ok()));
    const closed = new Promise<void>((ok) => sock.once('close', () => ok()));
    await s2.close();
    await closed;
  });
});
