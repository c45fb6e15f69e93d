// A pass-through HTTP proxy in front of the fake shop that records every request it forwards,
// so a test can assert what the component sent (and that it sent nothing). It runs on a worker
// thread: a component call blocks the main thread until its requests are answered.

import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { createServer, request } = require('node:http');
const { parentPort, workerData } = require('node:worker_threads');
const target = new URL(workerData.target);
const log = [];
const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://proxy');
  log.push({ method: req.method, path: url.pathname, query: url.search.slice(1) || null });
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', () => {
    res.writeHead(502);
    res.end();
  });
  req.pipe(upstream);
});
parentPort.on('message', (message) => {
  if (message === 'take') parentPort.postMessage(log.splice(0));
  if (message === 'stop') {
    server.close(() => parentPort.close());
    server.closeAllConnections();
  }
});
server.listen(0, '127.0.0.1', () => parentPort.postMessage(server.address().port));
`;

/**
 * Starts the proxy for the shop at `apiUrl` (`http://127.0.0.1:PORT/api/v2`). Resolves to
 * `{ url, take(), stop() }`: `url` is the proxied API URL; `take()` resolves to the requests
 * forwarded since the last `take()` (`{ method, path, query }`, oldest first).
 */
export async function startRecordingProxy(apiUrl) {
  const worker = new Worker(WORKER, { eval: true, workerData: { target: apiUrl } });
  const [port] = await once(worker, 'message');
  return {
    url: `http://127.0.0.1:${port}${new URL(apiUrl).pathname}`,
    async take() {
      worker.postMessage('take');
      const [requests] = await once(worker, 'message');
      return requests;
    },
    async stop() {
      const exited = once(worker, 'exit');
      worker.postMessage('stop');
      await exited;
    },
  };
}
