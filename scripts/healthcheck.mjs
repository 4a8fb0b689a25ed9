// The container's HEALTHCHECK: exits 0 when GET /healthz on this container's PORT answers 200 within 4 s, else 1.
// A script rather than curl, which the slim image doesn't have. Plain JavaScript with no dependencies.
const port = process.env.PORT?.trim() || '3000';
const path = process.argv[2] ?? '/healthz';
try {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, { signal: AbortSignal.timeout(4000) });
  await res.arrayBuffer();
  process.exit(res.status === 200 ? 0 : 1);
} catch {
  process.exit(1);
}
