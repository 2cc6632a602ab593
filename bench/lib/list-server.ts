// A read-only stand-in for the Kubernetes API server's list and watch endpoints, run in a
// child process by `npm run bench:scale` so that the reconciler's informers (the production
// KubernetesCluster, @kubernetes/client-node underneath) can list a cluster of 100,000 pods
// without a real API server of that size. It serves the objects the parent wrote to
// `<dir>/lists.json` ({ collection path: items }), paged as the API server pages a list
// (`limit`, `continue`); a watch request is held open with no events until the client goes.
// Only 127.0.0.1. Prints `listening <port>` on stdout when ready.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: list-server.ts <dir with lists.json>\n');
  process.exit(2);
}
const lists = JSON.parse(readFileSync(join(dir, 'lists.json'), 'utf8')) as Record<string, unknown[]>;
const RESOURCE_VERSION = '1000000';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1') {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.flushHeaders();
    return; // held open: no changes to report
  }
  const items = lists[url.pathname] ?? [];
  const limit = Number(url.searchParams.get('limit') ?? 0) || items.length;
  const from = Number(url.searchParams.get('continue') ?? 0) || 0;
  const page = items.slice(from, from + limit);
  const next = from + limit < items.length ? String(from + limit) : undefined;
  const body = JSON.stringify({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: RESOURCE_VERSION, ...(next ? { continue: next } : {}) }, items: page });
  res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.on('disconnect', () => process.exit(0));
process.on('SIGTERM', () => process.exit(0));
