import { createServer, type Server } from 'node:http';
import type { CustomRoute } from '@slack/bolt';

/**
 * /healthz and /readyz in Socket Mode, on HOST:PORT. Bolt's Socket Mode receiver would serve them too, but it listens
 * on every interface and never says which port it got; this server binds where it is told and resolves once it does.
 */
export function serveRoutes(routes: readonly CustomRoute[], host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = (req.method ?? 'GET').toUpperCase();
    const route = routes.find((r) => r.path === path && (Array.isArray(r.method) ? r.method : [r.method]).includes(method));
    if (route) {
      route.handler(req, res);
      return;
    }
    res.writeHead(404).end();
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host, port }, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
