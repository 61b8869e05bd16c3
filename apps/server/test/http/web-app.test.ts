import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { registerProblemHandler } from '../../src/platform/http/problem-handler.ts';
import { registerWebApp } from '../../src/platform/http/web-app.ts';

async function appWithWebRoot(root: string) {
  const app = Fastify();
  registerProblemHandler(app);
  const served = await registerWebApp(app, root);
  await app.ready();
  return { app, served };
}

describe('web app serving', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'peytonix-web-'));
  mkdirSync(path.join(root, 'assets'));
  writeFileSync(path.join(root, 'index.html'), '<!doctype html><title>Peytonix</title>');
  writeFileSync(path.join(root, 'assets', 'app.js'), 'export {};');

  it('serves index.html and assets', async () => {
    const { app } = await appWithWebRoot(root);

    const index = await app.inject({ method: 'GET', url: '/' });
    expect(index.statusCode).toBe(200);
    expect(index.body).toContain('<title>Peytonix</title>');

    const asset = await app.inject({ method: 'GET', url: '/assets/app.js' });
    expect(asset.statusCode).toBe(200);
  });

  it('falls back to index.html for client routes', async () => {
    const { app } = await appWithWebRoot(root);

    const page = await app.inject({
      method: 'GET',
      url: '/engagements/fy26',
      headers: { accept: 'text/html' },
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Peytonix</title>');
  });

  it('keeps problem+json 404 for API paths', async () => {
    const { app } = await appWithWebRoot(root);

    const api = await app.inject({
      method: 'GET',
      url: '/api/v1/missing',
      headers: { accept: 'text/html' },
    });
    expect(api.statusCode).toBe(404);
    expect(api.json().code).toBe('ROUTE_NOT_FOUND');
  });

  it('does not serve files outside the root', async () => {
    const { app } = await appWithWebRoot(root);

    const traversal = await app.inject({ method: 'GET', url: '/../../etc/passwd' });
    expect(traversal.statusCode).toBe(404);
    expect(traversal.body).not.toContain('root:');
  });

  it('reports an unbuilt web app', async () => {
    const empty = mkdtempSync(path.join(os.tmpdir(), 'peytonix-web-empty-'));
    const { served } = await appWithWebRoot(empty);
    expect(served).toBe(false);
  });
});
