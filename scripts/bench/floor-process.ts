// The floor server as a process of its own (so it gets a core, like the app): prints {"port":N} once listening.
import type { AddressInfo } from 'node:net';
import { startFloor } from './floor.js';

const server = await startFloor(process.env.SLACK_SIGNING_SECRET ?? '');
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
process.on('SIGTERM', () => server.close(() => process.exit(0)));
