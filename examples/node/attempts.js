// The component's `upgates:bot/attempts` import, supplied by this embedding: the e-mail checks
// per order number (`verify-attempts` per `verify-window-minutes`), kept in this process's
// memory across calls, per shop (API URL and login). A check is held before Upgates is asked
// and withdrawn when it passes, so what stays are the failures.
//
// `jco transpile --map 'upgates:bot/attempts@0.2.0=../attempts.js'` makes the transpiled component
// import `beginCheck` and `withdrawCheck` from this module. Node runs one call at a time on its
// thread, so counting and holding are one step here; but each worker thread and process has
// its own copy of this module, so a server with several of them keeps the checks in a shared
// store instead (Redis, a database) and must make `beginCheck` atomic there (a transaction,
// compare-and-swap).

import { shopKey } from './config.js';

/** Most keys kept; past it the oldest go (bounds what a flood of order numbers costs). */
const MAX_KEYS = 100_000;
/** Checks' times (ms) per `<shop>\n<order number>`, oldest first. */
const checks = new Map();

function recent(key, windowSeconds) {
  const since = Date.now() - windowSeconds * 1000;
  return (checks.get(key) ?? []).filter((t) => t > since);
}

function store(key, times) {
  checks.delete(key);
  if (times.length > 0) checks.set(key, times.slice(-1000));
  if (checks.size > MAX_KEYS) checks.delete(checks.keys().next().value);
}

/** `begin-check: func(key: string, limit: u32, window-seconds: u32) -> bool` */
export function beginCheck(order, limit, windowSeconds) {
  const key = `${shopKey()}\n${order}`;
  const times = recent(key, windowSeconds);
  const begun = times.length < limit;
  if (begun) times.push(Date.now());
  store(key, times);
  return begun;
}

/** `withdraw-check: func(key: string, window-seconds: u32)` */
export function withdrawCheck(order, windowSeconds) {
  const key = `${shopKey()}\n${order}`;
  const times = recent(key, windowSeconds);
  times.pop();
  store(key, times);
}

/** Checks held for `order` within the window (tests). */
export function heldChecks(order, windowSeconds) {
  return recent(`${shopKey()}\n${order}`, windowSeconds).length;
}

/** Forgets every check (tests). */
export function resetAttempts() {
  checks.clear();
}
