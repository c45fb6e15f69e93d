// The component's `wasi:config/store@0.2.0-rc.1` import, supplied by this embedding.
//
// `jco transpile --map 'wasi:config/store@0.2.0-rc.1=../config.js'` makes the transpiled
// component import `getAll` from this module instead of looking for a WASI shim (the preview2
// shim has no `wasi:config`). The component reads its settings on every call, so switching the
// settings between two calls switches the shop: calls are synchronous, nothing interleaves.
//
// Keys: `api-url`, `api-login`, `api-key`, optional `default-country-code` (default "420"),
// `verify-appends` ("true" / "false") and the guardrails (docs/configuration.md's
// settings table: `allowed-statuses`, `max-note-length`, `audit-trail`,
// `verify-attempts`, `verify-window-minutes`, `mask-personal-data`).

let settings = new Map();

/** The shop the current settings name (API URL and login): `keyvalue.js` keeps a bucket per shop. */
export function shopKey() {
  return `${settings.get('api-url') ?? ''}\n${settings.get('api-login') ?? ''}`;
}

/** Replaces the settings the component sees. `null` / `undefined` values are left out. */
export function configure(values) {
  const next = new Map();
  for (const [key, value] of Object.entries(values ?? {})) {
    if (value !== null && value !== undefined) next.set(key, String(value));
  }
  settings = next;
}

/**
 * `get: func(key: string) -> result<option<string>, error>` (unused by the component, which
 * reads all settings at once): jco maps `ok(none)` to `undefined`; throwing
 * `{ tag: 'io', val: '...' }` would be the `err` case.
 */
export function get(key) {
  return settings.get(key);
}

/** `get-all: func() -> result<list<tuple<string, string>>, error>`: what the component calls. */
export function getAll() {
  return [...settings.entries()];
}
