// Starts the sample fake Upgates shop (`fake-shop/src/bin/upgates-fake-shop.rs`) on a loopback
// port for the tests, and stops it.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The repository's root: `cargo run` there finds the workspace. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** How long the shop may take to print its URL (a first `cargo run` may still compile it). */
const START_TIMEOUT_MS = 300_000;

/**
 * Starts the shop: `$UPGATES_FAKE_SHOP_BIN` when set, else `cargo run -q -p upgates-fake-shop
 * --bin upgates-fake-shop` (cargo replaces itself with the binary, so killing the child kills
 * the shop). Resolves to `{ url, login, key, stop() }` once the shop printed its address.
 */
export async function startFakeShop() {
  const bin = process.env.UPGATES_FAKE_SHOP_BIN;
  const [command, args] = bin
    ? [bin, []]
    : ['cargo', ['run', '-q', '-p', 'upgates-fake-shop', '--bin', 'upgates-fake-shop']];
  const child = spawn(command, args, {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Never leave the shop running, whatever happens to the tests.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const lines = [];
  const reader = createInterface({ input: child.stdout });
  const started = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the fake shop printed no URL within ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS,
    );
    reader.on('line', (line) => {
      lines.push(line.trim());
      if (lines.length === 3) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the fake shop exited early (code ${code}, signal ${signal})`));
    });
  });
  try {
    await started;
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const value = (line, name) => {
    const prefix = `${name}=`;
    if (!line.startsWith(prefix)) throw new Error(`expected ${name}=... from the fake shop, got ${line}`);
    return line.slice(prefix.length);
  };
  const url = lines[0];
  if (!/^http:\/\/127\.0\.0\.1:\d+\/api\/v2$/.test(url)) {
    child.kill('SIGKILL');
    throw new Error(`unexpected first line from the fake shop: ${url}`);
  }
  return {
    url,
    login: value(lines[1], 'UPGATES_API_LOGIN'),
    key: value(lines[2], 'UPGATES_API_KEY'),
    pid: child.pid,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
