import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteModule } from '../../src/app.ts';
import { isRouteAccess } from '../../src/modules/access/permissions.ts';
import { AUTHENTICATE_HOOK_NAME } from '../../src/platform/http/authentication.ts';
import { startTestApp } from '../support/test-app.ts';
import { createTestDatabase, type TestDatabase } from '../support/test-database.ts';

interface DeclaredRoute {
  route: string;
  permission: unknown;
  authenticates: boolean;
}

/** A route module that records every route registered after it. */
function recorder(into: DeclaredRoute[]): RouteModule {
  return (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      into.push({
        route: `${String(route.method)} ${route.url}`,
        permission: route.config?.permission,
        authenticates: [route.onRequest ?? []]
          .flat()
          .some((hook) => hook.name === AUTHENTICATE_HOOK_NAME),
      });
    });
  };
}

describe('route access declarations', () => {
  let database: TestDatabase;

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('declares a valid permission on every route of the app', async () => {
    const routes: DeclaredRoute[] = [];
    const testApp = await startTestApp(database, {
      routeModules: [recorder(routes)],
    });
    await testApp.close();

    expect(routes.length).toBeGreaterThan(30);
    for (const route of routes) {
      expect(isRouteAccess(route.permission), route.route).toBe(true);
      expect(route.authenticates, route.route).toBe(route.permission !== 'public');
    }
  });

  const broken: [string, RouteModule][] = [
    ['a route without a permission', (app) => app.get('/api/v1/bare', async () => ({}))],
    [
      'a permission outside the catalogue',
      (app) =>
        app.get(
          '/api/v1/unknown',
          { onRequest: app.authenticate, config: { permission: 'runs.delete' } },
          async () => ({}),
        ),
    ],
    [
      'a permission without authentication',
      (app) => app.get('/api/v1/open', { config: { permission: 'runs.read' } }, async () => ({})),
    ],
    [
      'a public route that authenticates',
      (app) =>
        app.get(
          '/api/v1/confused',
          { onRequest: app.authenticate, config: { permission: 'public' } },
          async () => ({}),
        ),
    ],
  ];
  for (const [what, module] of broken) {
    it(`refuses to start with ${what}`, async () => {
      await expect(
        startTestApp(database, { migrate: false, routeModules: [module] }),
      ).rejects.toThrow(/Every route must declare config\.permission/);
    });
  }
});
