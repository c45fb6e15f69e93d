// The component's `upgates:bot/attempts` import, supplied by this embedding: the failed e-mail
// checks per order number (`verify-attempts` per `verify-window-minutes`), kept in this
// process's memory across calls, per shop (API URL and login).
//
// `jco transpile --map 'upgates:bot/attempts=../attempts.js'` makes the transpiled component
// import `recentFailures` and `recordFailure` from this module. A server with several
// processes keeps them in a shared store instead (Redis, a database): same two functions.

import { shopKey } from './config.js';

/** Most keys kept; past it the oldest go (bounds what a flood of order numbers costs). */
const MAX_KEYS = 100_000;
/** Failure times (ms) per `<shop>\n<order number>`. */
const failures = new Map();

function recent(key, windowSeconds) {
  const since = Date.now() - windowSeconds * 1000;
  const times = (failures.get(key) ?? []).filter((t) => t > since);
  if (times.length === 0) failures.delete(key);
  else failures.set(key, times);
  return times;
}

/** `recent-failures: func(key: string, window-seconds: u32) -> u32` */
export function recentFailures(order, windowSeconds) {
  return recent(`${shopKey()}\n${order}`, windowSeconds).length;
}

/** `record-failure: func(key: string, window-seconds: u32)` */
export function recordFailure(order, windowSeconds) {
  const key = `${shopKey()}\n${order}`;
  const times = recent(key, windowSeconds);
  times.push(Date.now());
  failures.delete(key);
  failures.set(key, times.slice(-1000));
  if (failures.size > MAX_KEYS) failures.delete(failures.keys().next().value);
}

/** Forgets every count (tests). */
export function resetAttempts() {
  failures.clear();
}
