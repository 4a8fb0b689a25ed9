import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { serveRoutes } from '../../src/slack/routes-server.js';

// Socket Mode serves /healthz and /readyz from this server (Bolt's would listen on every interface).
const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((done) => s.close(done))));
});

const routes = [
  {
    path: '/healthz',
    method: ['GET'],
    handler: (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    },
  },
];

async function status(url: string): Promise<number | string> {
  try {
    const res = await fetch(url, { method: url.endsWith('#post') ? 'POST' : 'GET', signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    return (err as { cause?: { code?: string } }).cause?.code ?? String(err);
  }
}

describe('the Socket Mode routes server', () => {
  it('binds the host it is given, on the port it picked, and serves only its routes', async () => {
    const server = await serveRoutes(routes, '127.0.0.2', 0);
    servers.push(server);
    const { address, port } = server.address() as AddressInfo;
    expect(address).toBe('127.0.0.2');
    expect(port).toBeGreaterThan(0);
    expect(await status(`http://127.0.0.2:${port}/healthz`)).toBe(200);
    expect(await status(`http://127.0.0.2:${port}/healthz?probe=1`)).toBe(200);
    expect(await status(`http://127.0.0.2:${port}/slack/events`)).toBe(404);
    expect(await status(`http://127.0.0.2:${port}/healthz#post`)).toBe(404);
    expect(await status(`http://127.0.0.1:${port}/healthz`)).toBe('ECONNREFUSED');
  });

  it('rejects when the port is taken, instead of starting without health checks', async () => {
    const first = await serveRoutes(routes, '127.0.0.1', 0);
    servers.push(first);
    const { port } = first.address() as AddressInfo;
    await expect(serveRoutes(routes, '127.0.0.1', port)).rejects.toThrow(/EADDRINUSE/);
  });
});
