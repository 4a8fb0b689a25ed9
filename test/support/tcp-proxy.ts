// A port that refuses connections until `open()` is called, then forwards each connection to a target: a service
// (PostgreSQL, the fake Slack) that "comes up" after the app started.
import { createConnection, createServer, type AddressInfo, type Server, type Socket } from 'node:net';

export interface LateProxy {
  /** The port: closed (connections refused) until open(). */
  readonly port: number;
  /** Starts accepting on the port and forwarding to the target. */
  open(): Promise<void>;
  /** Connections accepted so far. */
  readonly accepted: number;
  close(): Promise<void>;
}

/** A port nobody listens on right now (bound, read and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => done());
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

export async function lateProxy(target: { host: string; port: number }): Promise<LateProxy> {
  const port = await freePort();
  let server: Server | undefined;
  let accepted = 0;
  const sockets = new Set<Socket>();
  return {
    port,
    get accepted() {
      return accepted;
    },
    async open() {
      const s = createServer((client) => {
        accepted += 1;
        const upstream = createConnection(target);
        for (const sock of [client, upstream]) {
          sockets.add(sock);
          sock.on('close', () => sockets.delete(sock));
          sock.on('error', () => {
            client.destroy();
            upstream.destroy();
          });
        }
        client.pipe(upstream);
        upstream.pipe(client);
      });
      await new Promise<void>((done, reject) => {
        s.once('error', reject);
        s.listen(port, '127.0.0.1', () => done());
      });
      server = s;
    },
    async close() {
      for (const sock of sockets) sock.destroy();
      const s = server;
      if (s) await new Promise<void>((done) => s.close(() => done()));
    },
  };
}
