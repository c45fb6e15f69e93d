// The component's `wasi:keyvalue/store@0.2.0-draft` and `wasi:keyvalue/atomics@0.2.0-draft`
// imports, supplied by this embedding: where the component counts failed e-mail checks per order
// (`verify-attempts` per `verify-window-minutes`), kept in this process's memory across calls.
//
// `jco transpile --map 'wasi:keyvalue/store@0.2.0-draft=../keyvalue.js' --map
// 'wasi:keyvalue/atomics@0.2.0-draft=../keyvalue.js'` makes the transpiled component import
// `open`, `Bucket` and `increment` from this module (the preview2 shim has no `wasi:keyvalue`).
// The component opens the bucket "" (as wasmtime's in-memory store names it); a bucket holds
// the keys of the shop that was configured when it was opened (API URL and login, `config.js`),
// so two shops never share a count. Node runs one call at a time on its thread, so `increment`
// is atomic here; but each worker thread and process has its own copy of this module, so a
// server with several of them backs these functions with one shared store whose increment is
// atomic (Redis INCRBY, an SQL `UPDATE ... RETURNING`).

import { shopKey } from './config.js';

/** Most keys kept, over all shops; past it the oldest written go (bounds a flood of orders). */
const MAX_KEYS = 100_000;
/** Values (bytes) per `<shop>\n<key>`, the least recently written first. */
const values = new Map();

/** The `error` variant of `wasi:keyvalue/store`, thrown as jco expects an `err` result. */
class KeyValueError extends Error {
  constructor(payload) {
    super(`wasi:keyvalue: ${payload.tag}${payload.val === undefined ? '' : `: ${payload.val}`}`);
    this.payload = payload;
  }
}

function write(key, bytes) {
  values.delete(key);
  values.set(key, bytes);
  if (values.size > MAX_KEYS) values.delete(values.keys().next().value);
}

/** `resource bucket`: one shop's keys. */
export class Bucket {
  #shop;

  /** Only `open` makes buckets; the component never constructs one. */
  constructor(shop) {
    this.#shop = shop;
  }

  #key(key) {
    return `${this.#shop}\n${key}`;
  }

  /** `get: func(key: string) -> result<option<list<u8>>, error>` */
  get(key) {
    const bytes = values.get(this.#key(key));
    return bytes === undefined ? undefined : bytes.slice();
  }

  /** `set: func(key: string, value: list<u8>) -> result<_, error>` */
  set(key, value) {
    write(this.#key(key), Uint8Array.from(value));
  }

  /** `delete: func(key: string) -> result<_, error>` (no error for a missing key) */
  delete(key) {
    values.delete(this.#key(key));
  }

  /** `exists: func(key: string) -> result<bool, error>` */
  exists(key) {
    return values.has(this.#key(key));
  }

  /** `list-keys: func(cursor: option<u64>) -> result<key-response, error>`: all in one page. */
  listKeys(cursor) {
    if (cursor !== undefined) return { keys: [], cursor: undefined };
    const prefix = `${this.#shop}\n`;
    const keys = [];
    for (const key of values.keys()) {
      if (key.startsWith(prefix)) keys.push(key.slice(prefix.length));
    }
    return { keys, cursor: undefined };
  }

  /** `atomics.increment`: the counter as a decimal string, as wasmtime's in-memory store keeps it. */
  increment(key, delta) {
    const full = this.#key(key);
    const bytes = values.get(full);
    const text = bytes === undefined ? '0' : new TextDecoder().decode(bytes);
    if (!/^\d+$/.test(text)) {
      throw new KeyValueError({ tag: 'other', val: 'the value is not a counter' });
    }
    const next = BigInt(text) + delta;
    if (next > 0xffff_ffff_ffff_ffffn) {
      throw new KeyValueError({ tag: 'other', val: 'the counter would overflow' });
    }
    write(full, new TextEncoder().encode(next.toString()));
    return next;
  }
}

/** `open: func(identifier: string) -> result<bucket, error>`: "" is this process's store. */
export function open(identifier) {
  if (identifier !== '') throw new KeyValueError({ tag: 'no-such-store' });
  return new Bucket(shopKey());
}

/** `increment: func(bucket: borrow<bucket>, key: string, delta: u64) -> result<u64, error>` */
export function increment(bucket, key, delta) {
  return bucket.increment(key, delta);
}

/** Forgets every key of every shop (tests). */
export function resetKeyValue() {
  values.clear();
}
