import { request, type IncomingMessage } from 'node:http';

const MAX_BODY = 5 * 1024 * 1024;

/** The whole request body as text; rejects (and drops the request) past 5 MB. Shared by the fake servers. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export interface Upload {
  /** The status answered, or undefined when the server closed the connection without one. */
  status: number | undefined;
  /** Milliseconds from sending the headers to the answer (or the close). */
  ms: number;
}

/**
 * Sends the headers and the first bytes of a body it never finishes (a slow upload), on a connection of its own.
 * Resolves with the answer, or with the close of the connection by the server — whichever comes first.
 */
export function slowUpload(
  url: string,
  headers: Record<string, string>,
  opts: { first?: string; declared?: number } = {},
): Promise<Upload> {
  return new Promise((resolve) => {
    const started = performance.now();
    const done = (status: number | undefined) => resolve({ status, ms: performance.now() - started });
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': String(opts.declared ?? 1024 * 1024),
          ...headers,
        },
      },
      (res) => {
        res.resume();
        done(res.statusCode);
        req.destroy();
      },
    );
    req.on('error', () => done(undefined));
    req.on('close', () => done(undefined));
    req.write(opts.first ?? 'payload=%7B');
    // Never ended: the rest of the body never comes.
  });
}
