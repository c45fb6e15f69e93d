// The Upgates bot actions in Node.js: the WebAssembly component, transpiled by jco, called
// through its generated bindings, with the shop's settings supplied through `config.js`.
//
//   import { call } from './upgates.js';
//   const shop = { 'api-url': 'https://myshop.admin.s1.upgates.com/api/v2', 'api-login': '...', 'api-key': '...' };
//   call(shop, 'verify-order', { order: '2025000123' });
//   // -> { ok: true, vars: { status: 'Přijatá', billing: 'Převodem na účet', ... } }
//
// `call` answers with the same JSON as the `upgates` CLI and the Spin app; `actions` are the raw
// bindings (records with camelCase fields, `err` thrown as a `ComponentError` whose `payload` is
// the WIT `failure`, e.g. `{ tag: 'not-found' }`).
//
// Every call is synchronous: the preview2 shim runs the component's blocking `wasi:http` calls
// on a worker thread and waits for it, so a call blocks this thread until Upgates answers (the
// component asks for 5 s to connect and 15 s to the first byte). A server answering many chats
// runs the calls on worker threads (`node:worker_threads`), each importing this module; each
// worker then has its own `keyvalue.js` counts, so `verify-attempts` would allow that many
// guesses per worker: such a server keeps the checks in one shared store (docs/embedding.md).

import { configure } from './config.js';
import { actions } from './transpiled/upgates_plugin.js';

export { actions };

const nullable = (value) => (value === undefined ? null : value);

const summaryVars = (s) => ({
  status: nullable(s.status),
  billing: nullable(s.billing),
  shipping: nullable(s.shipping),
  paid: s.paid,
  topay: nullable(s.topay),
  topaytext: nullable(s.topayText),
  currency: nullable(s.currency),
  tracking: nullable(s.tracking),
  trackingurl: nullable(s.trackingUrl),
});

const done = () => ({});

/** `proof` when the shop makes proofs (`proof-secret`); no variable otherwise, as in the CLI. */
const withProof = (vars, proof) => (proof === undefined ? vars : { ...vars, proof });

/** Each action: the inputs it needs (the CLI's names), how to call it, its bot variables. */
const ACTIONS = {
  'verify-order': {
    inputs: ['order'],
    run: (i) => actions.verifyOrder(i.order),
    vars: summaryVars,
  },
  'order-detail': {
    inputs: ['order', 'email'],
    run: (i) => actions.orderDetail(i.order, i.email),
    vars: (d) => ({
      ...summaryVars(d.summary),
      url: nullable(d.url),
      phone: nullable(d.phone),
      items: d.items.map((item) => ({
        name: item.name,
        brand: nullable(item.brand),
        code: nullable(item.code),
      })),
      ...withProof({}, d.proof),
    }),
  },
  'customer-email': {
    inputs: ['order', 'proof'],
    run: (i) => actions.customerEmail(i.order, i.proof ?? undefined),
    vars: (email) => ({ email }),
  },
  'set-order-status': {
    inputs: ['order', 'status', 'notify', 'proof'],
    run: (i) => actions.setOrderStatus(i.order, i.status, i.notify === true, i.proof ?? undefined),
    vars: done,
  },
  'verify-customer': {
    inputs: ['order', 'email'],
    run: (i) => actions.verifyCustomer(i.order, i.email),
    vars: (v) => withProof({}, v.proof),
  },
  'orders-by-phone': {
    inputs: ['phone', 'days'],
    run: (i) => actions.ordersByPhone(i.phone, i.days),
    vars: (p) => ({
      count: p.count,
      orders: p.orders.map((o) => ({
        orderid: o.orderid,
        date: nullable(o.date),
        price: nullable(o.price),
        currency: nullable(o.currency),
        pricetext: nullable(o.priceText),
        datetext: nullable(o.dateText),
      })),
    }),
  },
  'append-note': {
    inputs: ['order', 'text', 'proof'],
    run: (i) => actions.appendNote(i.order, i.text, i.proof ?? undefined),
    vars: done,
  },
  'replace-note': {
    inputs: ['order', 'text', 'proof'],
    run: (i) => actions.replaceNote(i.order, i.text, i.proof ?? undefined),
    vars: done,
  },
  'order-documents': {
    inputs: ['order', 'email'],
    run: (i) => actions.orderDocuments(i.order, i.email),
    vars: (d) => ({
      invoice: d.invoice,
      invoiceurl: nullable(d.invoiceurl),
      invoicenumber: nullable(d.invoiceNumber),
      ...withProof({}, d.proof),
    }),
  },
};

/** Every input name any action takes (an action ignores the ones it does not need). */
const INPUT_NAMES = ['order', 'email', 'phone', 'days', 'status', 'notify', 'text', 'proof'];

/** The action names, as in the WIT and the CLI. */
export const ACTION_NAMES = Object.keys(ACTIONS);

/** The CLI's message for each `failure` (upgates-core's `Failure::message`). */
function message(failure) {
  switch (failure.tag) {
    case 'not-found':
      return 'no such order';
    case 'not-verified':
      return 'the order number and e-mail do not match';
    case 'invalid-input':
      return `invalid input: ${failure.val}`;
    case 'unauthorized':
      return 'Upgates refused the API login or key (HTTP 401)';
    case 'forbidden':
      return 'Upgates refused access (HTTP 403): the API user lacks the right or is locked';
    case 'rate-limited':
      return failure.val === undefined
        ? "Upgates' request limit was hit (HTTP 429)"
        : `Upgates' request limit was hit (HTTP 429); retry after ${failure.val}`;
    case 'timeout':
      return 'Upgates did not answer in time';
    case 'upstream':
      return `unexpected answer from Upgates: ${failure.val}`;
    case 'misconfigured':
      return `shop configuration: ${failure.val}`;
    case 'not-allowed':
      return `not allowed by the shop's bot policy: ${failure.val}`;
    default:
      return String(failure.tag);
  }
}

/** Amounts, the only non-integer numbers in the answers, as in the CLI's JSON. */
const AMOUNTS = ['topay', 'price'];

/**
 * An answer as JSON text with the amounts written as money, `"topay":1230.50`, as the `upgates`
 * CLI and the Spin app write them (`JSON.stringify` would write `1230.5`).
 */
export function jsonText(value, key = '') {
  if (AMOUNTS.includes(key) && Number.isFinite(value)) return value.toFixed(2);
  if (Array.isArray(value)) return `[${value.map((item) => jsonText(item)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value)
      .filter(([, field]) => field !== undefined)
      .map(([name, field]) => `${JSON.stringify(name)}:${jsonText(field, name)}`);
    return `{${fields.join(',')}}`;
  }
  return JSON.stringify(value);
}

/** "Ne" in the CLI's shape. */
export function ne(failure) {
  return { ok: false, reason: failure.tag, message: message(failure) };
}

/** The input the WIT function takes, or the `invalid-input` failure the CLI would answer. */
function checkInput(action, name, value) {
  const missing = { tag: 'invalid-input', val: `\`${name}\` is required for ${action}` };
  switch (name) {
    case 'notify':
      if (value === undefined || typeof value === 'boolean') return null;
      return { tag: 'invalid-input', val: '`notify` must be true or false' };
    case 'proof':
      // Only `require-proof` asks for it, and the component answers not-verified then.
      if (value === undefined || value === null || typeof value === 'string') return null;
      return { tag: 'invalid-input', val: '`proof` must be a string' };
    case 'days':
      if (value === undefined || value === null) return missing;
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        return { tag: 'invalid-input', val: '`days` must be a whole number of days' };
      }
      return null;
    default:
      if (value === undefined || value === null) return missing;
      if (typeof value !== 'string') {
        return { tag: 'invalid-input', val: `\`${name}\` must be a string` };
      }
      return null;
  }
}

/**
 * Runs one action for one shop and answers like the CLI: `{ ok: true, vars }` ("Ano", `vars`
 * named as the bot variables) or `{ ok: false, reason, message }` ("Ne").
 *
 * @param {Record<string, string>} shop the `wasi:config` keys: `api-url`, `api-login`,
 *   `api-key`, optional `default-country-code`, `verify-appends`
 * @param {string} action `verify-order`, `order-detail`, ...
 * @param {{order?: string, email?: string, phone?: string, days?: number, status?: string,
 *   notify?: boolean, text?: string, proof?: string}} input the CLI's flag names
 */
export function call(shop, action, input = {}) {
  const entry = Object.hasOwn(ACTIONS, action) ? ACTIONS[action] : undefined;
  if (!entry) throw new TypeError(`unknown action ${JSON.stringify(action)}`);
  for (const key of Object.keys(input)) {
    if (!INPUT_NAMES.includes(key)) {
      return ne({ tag: 'invalid-input', val: `unknown input \`${key}\`` });
    }
  }
  for (const name of entry.inputs) {
    const bad = checkInput(action, name, input[name]);
    if (bad) return ne(bad);
  }
  configure(shop);
  try {
    return { ok: true, vars: entry.vars(entry.run(input)) };
  } catch (e) {
    // jco throws `err` results as a ComponentError carrying the WIT value in `payload`.
    if (e && Object.hasOwn(e, 'payload') && typeof e.payload?.tag === 'string') {
      return ne(e.payload);
    }
    throw e;
  } finally {
    configure({});
  }
}
