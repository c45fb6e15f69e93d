// The component, transpiled by jco, in Node.js with the preview2 shim, against the sample fake
// shop on loopback. Runs with `npm test` (which builds the component and the fake shop and
// transpiles first). The tests run in order: the fake shop keeps what they write.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { startFakeShop } from './fake-shop.mjs';
import { startRecordingProxy } from './recording-proxy.mjs';

const HERE = fileURLToPath(new URL('..', import.meta.url));
const TRANSPILED = new URL('../transpiled/upgates_plugin.js', import.meta.url);

let shop; // the running fake shop
let settings; // its wasi:config keys
let actions; // the raw jco bindings
let call; // the CLI-shaped wrapper
let config; // config.js: the wasi:config import
let keyvalue; // keyvalue.js: the wasi:keyvalue imports

/** Runs `fn`, which must throw jco's ComponentError; returns its payload (the WIT `failure`). */
function failureOf(fn) {
  let thrown;
  assert.throws(fn, (e) => {
    thrown = e;
    return true;
  });
  assert.equal(thrown.constructor.name, 'ComponentError', `not a ComponentError: ${thrown}`);
  assert.ok(Object.hasOwn(thrown, 'payload'));
  return thrown.payload;
}

/** A loopback port nothing listens on. */
async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The e-mail check counters keyvalue.js holds for `order` of the shop `shopSettings` names, by
 * their last key segment (`verify-failures/<shop>/<order>/<window start>/<begun|given-back>`).
 */
function storedCounters(shopSettings, order) {
  config.configure(shopSettings);
  try {
    const bucket = keyvalue.open('');
    const { keys } = bucket.listKeys(undefined);
    const counters = {};
    for (const key of keys) {
      const match = /^verify-failures\/[0-9a-f]{16}\/([^/]+)\/\d+\/(begun|given-back)$/.exec(key);
      assert.ok(match, `an unexpected key ${key}`);
      if (match[1] === order) counters[match[2]] = new TextDecoder().decode(bucket.get(key));
    }
    return counters;
  } finally {
    config.configure({});
  }
}

before(async () => {
  assert.ok(
    existsSync(TRANSPILED),
    'transpiled/upgates_plugin.js is missing: run `npm test` (or `npm run build`) first',
  );
  shop = await startFakeShop();
  settings = { 'api-url': shop.url, 'api-login': shop.login, 'api-key': shop.key };
  config = await import('../config.js');
  keyvalue = await import('../keyvalue.js');
  config.configure(settings);
  ({ actions, call } = await import('../upgates.js'));
});

after(async () => {
  await shop?.stop();
});

describe('the transpiled component', () => {
  it('imports wasi:config and wasi:keyvalue from this example, every other import from the preview2 shim', () => {
    const js = readFileSync(TRANSPILED, 'utf8');
    assert.match(js, /import \{ getAll \} from '\.\.\/config\.js';/);
    assert.match(js, /import \{ Bucket, increment, open \} from '\.\.\/keyvalue\.js';/);
    assert.match(js, /from '@bytecodealliance\/preview2-shim\/http'/);
    assert.doesNotMatch(js, /preview2-shim\/(filesystem|sockets)/);
  });
});

describe('keyvalue.js: the wasi:keyvalue store and atomics', () => {
  after(() => {
    keyvalue.resetKeyValue();
    config.configure({});
  });

  it('counts as decimal text, one bucket per shop, only the bucket ""', () => {
    config.configure(settings);
    const mine = keyvalue.open('');
    assert.equal(keyvalue.increment(mine, 'n', 1n), 1n);
    assert.equal(keyvalue.increment(mine, 'n', 41n), 42n);
    assert.equal(new TextDecoder().decode(mine.get('n')), '42');
    assert.equal(mine.exists('n'), true);
    // Another shop (another login) opens a bucket of its own, even with the same key.
    config.configure({ ...settings, 'api-login': 'other' });
    const theirs = keyvalue.open('');
    assert.equal(theirs.get('n'), undefined);
    assert.deepEqual(theirs.listKeys(undefined), { keys: [], cursor: undefined });
    // A bucket keeps its shop after the settings change.
    assert.deepEqual(mine.listKeys(undefined), { keys: ['n'], cursor: undefined });
    mine.delete('n');
    assert.equal(mine.exists('n'), false);
    // Other buckets do not exist here; a value that is no counter is an error, not a NaN.
    assert.throws(
      () => keyvalue.open('redis://127.0.0.1'),
      (e) => assert.deepEqual(e.payload, { tag: 'no-such-store' }) ?? true,
    );
    mine.set('text', new TextEncoder().encode('x'));
    assert.throws(() => keyvalue.increment(mine, 'text', 1n), (e) => e.payload?.tag === 'other');
  });

  it("a store error reaches the component as the WIT error: the check is refused", () => {
    const elsewhere = { ...settings, 'attempts-store': 'elsewhere' };
    assert.deepEqual(
      call(elsewhere, 'verify-customer', { order: '2025000124', email: 'jana.novakova@example.cz' }),
      {
        ok: false,
        reason: 'misconfigured',
        message:
          'shop configuration: the wasi:keyvalue store "elsewhere" of failed e-mail checks is not available (`attempts-store`)',
      },
    );
  });
});

describe('raw bindings: records, and ComponentError for "Ne"', () => {
  before(() => import('../config.js').then((c) => c.configure(settings)));

  it('verify-order: Ano, a new order', () => {
    const summary = actions.verifyOrder('2025000123');
    assert.deepEqual({ ...summary }, {
      status: 'Přijatá',
      billing: 'Převodem na účet',
      shipping: 'PPL',
      paid: false,
      topay: 1230.5,
      topayText: '1\u00a0230,50\u00a0Kč',
      currency: 'CZK',
      tracking: undefined,
      trackingUrl: undefined,
    });
  });

  it('verify-order: Ano, paid, shipped and tracked', () => {
    const summary = actions.verifyOrder(' 2025000124 ');
    assert.equal(summary.status, 'Odeslaná');
    assert.equal(summary.paid, true);
    assert.equal(summary.topay, 649);
    assert.equal(summary.tracking, 'Z1234567890');
    assert.equal(summary.trackingUrl, 'https://tracking.packeta.com/cs/?id=Z1234567890');
  });

  it('verify-order: Ne, no such order', () => {
    assert.deepEqual(failureOf(() => actions.verifyOrder('9999999')), { tag: 'not-found' });
  });

  it('verify-order: Ne, a path in the order number never reaches the shop', () => {
    assert.deepEqual(failureOf(() => actions.verifyOrder('1/../../status?x=1')), {
      tag: 'invalid-input',
      val: 'the order number may contain only letters, digits, `-`, `_` and `.`',
    });
  });

  it('order-detail: Ano, items with brands from the products lookup', () => {
    const detail = actions.orderDetail('2025000123', 'JANA.novakova@example.cz ');
    assert.equal(detail.summary.status, 'Přijatá');
    assert.equal(detail.phone, '+420601223344');
    assert.equal(
      detail.url,
      'https://demo.admin.s1.upgates.com/links/orders/5b1f6c1e-2a4d-4c8e-9f1a-7d3e2b6a0123',
    );
    assert.deepEqual(
      detail.items.map((i) => ({ ...i })),
      [
        { name: 'Tričko Upgates, vel. M', brand: 'Upgates Wear', code: 'TRIKO-M' },
        { name: 'Hrnek 300 ml', brand: 'Keramika Bílovec', code: 'HRNEK' },
      ],
    );
  });

  it('order-detail: Ne, a wrong e-mail and a missing order answer alike', () => {
    const wrong = failureOf(() => actions.orderDetail('2025000123', 'jan@example.cz'));
    const missing = failureOf(() => actions.orderDetail('9999999', 'jana.novakova@example.cz'));
    assert.deepEqual(wrong, { tag: 'not-verified' });
    assert.deepEqual(missing, { tag: 'not-verified' });
  });

  it('set-order-status: Ano by name, then the order shows it', () => {
    assert.equal(actions.setOrderStatus('2025000123', 'Stornovaná', true), undefined);
    assert.equal(actions.verifyOrder('2025000123').status, 'Stornovaná');
  });

  it('set-order-status: Ano by id, then by a name in another language', () => {
    actions.setOrderStatus('2025000123', '3', false);
    assert.equal(actions.verifyOrder('2025000123').status, 'Odeslaná');
    actions.setOrderStatus('2025000123', 'Awaiting stock', false);
    assert.equal(actions.verifyOrder('2025000123').status, 'Čeká na zboží');
  });

  it("set-order-status: Ne, an unknown status with Upgates' message", () => {
    const failure = failureOf(() => actions.setOrderStatus('2025000123', 'Ztracená', false));
    assert.equal(failure.tag, 'upstream');
    assert.match(failure.val, /^Upgates did not update the order: .*Ztracená/);
    assert.equal(actions.verifyOrder('2025000123').status, 'Čeká na zboží');
  });

  it('set-order-status: Ne, an empty status', () => {
    assert.deepEqual(failureOf(() => actions.setOrderStatus('2025000123', ' ', false)), {
      tag: 'invalid-input',
      val: 'the status is empty',
    });
  });
});

describe('call(): the CLI\'s JSON answers', () => {
  it('verify-order: Ano with the bot variable names', () => {
    assert.deepEqual(call(settings, 'verify-order', { order: '2025000124' }), {
      ok: true,
      vars: {
        status: 'Odeslaná',
        billing: 'Kartou online',
        shipping: 'Zásilkovna',
        paid: true,
        topay: 649,
        topaytext: '649,00\u00a0Kč',
        currency: 'CZK',
        tracking: 'Z1234567890',
        trackingurl: 'https://tracking.packeta.com/cs/?id=Z1234567890',
      },
    });
  });

  it('verify-order: Ne', () => {
    assert.deepEqual(call(settings, 'verify-order', { order: '9999999' }), {
      ok: false,
      reason: 'not-found',
      message: 'no such order',
    });
  });

  it('a missing input is invalid-input, as in the CLI', () => {
    assert.deepEqual(call(settings, 'order-detail', { order: '2025000123' }), {
      ok: false,
      reason: 'invalid-input',
      message: 'invalid input: `email` is required for order-detail',
    });
  });

  it('verify-customer, customer-email', () => {
    const jana = { order: '2025000124', email: 'jana.novakova@example.cz' };
    assert.deepEqual(call(settings, 'verify-customer', jana), { ok: true, vars: {} });
    assert.deepEqual(call(settings, 'verify-customer', { ...jana, email: 'peter.horvath@example.sk' }), {
      ok: false,
      reason: 'not-verified',
      message: 'the order number and e-mail do not match',
    });
    assert.deepEqual(call(settings, 'customer-email', { order: '2025000124' }), {
      ok: true,
      vars: { email: 'Jana.Novakova@Example.cz' },
    });
  });

  it('orders-by-phone: newest first', () => {
    const answer = call(settings, 'orders-by-phone', { phone: '601 223 344', days: 30 });
    assert.equal(answer.ok, true);
    assert.equal(answer.vars.count, 2);
    assert.deepEqual(
      answer.vars.orders.map((o) => [o.orderid, o.price]),
      [
        ['2025000123', 1230.5],
        ['2025000124', 649],
      ],
    );
    assert.match(answer.vars.orders[0].date, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/);
    // The display-ready variables beside the raw ones: the day as written in `date`.
    const [first] = answer.vars.orders;
    const [year, month, day] = first.date.slice(0, 10).split('-').map(Number);
    assert.equal(first.datetext, `${day}. ${month}. ${year}`);
    assert.equal(first.currency, 'CZK');
    assert.equal(first.pricetext, '1\u00a0230,50\u00a0Kč');
    // No orders in the period is "Ano" with none listed.
    assert.deepEqual(call(settings, 'orders-by-phone', { phone: '+420 777 000 000', days: 30 }), {
      ok: true,
      vars: { count: 0, orders: [] },
    });
    assert.deepEqual(call(settings, 'orders-by-phone', { phone: '601 223 344', days: 0 }), {
      ok: false,
      reason: 'invalid-input',
      message: 'invalid input: the period must be 1 to 3650 days',
    });
  });

  it('order-documents: found, notfound, error', () => {
    const docs = (order) => call(settings, 'order-documents', { order, email: 'jana.novakova@example.cz' });
    assert.deepEqual(docs('2025000124'), {
      ok: true,
      vars: {
        invoice: 'found',
        invoiceurl: 'https://demo.admin.s1.upgates.com/invoices/pdf/FV2025001',
        invoicenumber: 'FV2025001',
      },
    });
    const none = { invoiceurl: null, invoicenumber: null };
    assert.deepEqual(docs('2025000123'), { ok: true, vars: { invoice: 'notfound', ...none } });
    assert.deepEqual(docs('2025000126'), { ok: true, vars: { invoice: 'error', ...none } });
  });

  it('append-note and replace-note', () => {
    assert.deepEqual(call(settings, 'append-note', { order: '2025000124', text: 'Bot: doručit po 17:00 👍' }), {
      ok: true,
      vars: {},
    });
    assert.deepEqual(call(settings, 'replace-note', { order: '2025000124', text: 'Nová poznámka' }), {
      ok: true,
      vars: {},
    });
    assert.deepEqual(call(settings, 'append-note', { order: '9999999', text: 'x' }), {
      ok: false,
      reason: 'not-found',
      message: 'no such order',
    });
  });

  it('order-detail: null for a missing brand or tracking link', () => {
    const bag = call(settings, 'order-detail', { order: '2025000124', email: 'jana.novakova@example.cz' });
    assert.equal(bag.ok, true);
    assert.deepEqual(bag.vars.items[1], { name: 'Plátěná taška', brand: null, code: 'TASKA' });
    const shirt = call(settings, 'order-detail', { order: '2025000123', email: 'jana.novakova@example.cz' });
    assert.equal(shirt.ok, true);
    assert.equal(shirt.vars.trackingurl, null);
  });
});

describe('jsonText(): the CLI\'s JSON text', () => {
  it('writes amounts with two decimals and everything else as JSON.stringify', async () => {
    const { jsonText } = await import('../upgates.js');
    const answer = {
      ok: true,
      vars: {
        topay: 1230.5,
        topaytext: '1\u00a0230,50\u00a0Kč',
        count: 2,
        orders: [{ orderid: '1', price: 649 }, { orderid: '2', price: null }],
        note: '\u00001.00 "x"',
        gone: undefined,
      },
    };
    assert.equal(
      jsonText(answer),
      '{"ok":true,"vars":{"topay":1230.50,"topaytext":"1\u00a0230,50\u00a0Kč","count":2,' +
        '"orders":[{"orderid":"1","price":649.00},{"orderid":"2","price":null}],' +
        '"note":"\\u00001.00 \\"x\\""}}',
    );
    assert.deepEqual(JSON.parse(jsonText(answer)), JSON.parse(JSON.stringify(answer)));
    assert.equal(jsonText({ topay: 0 }), '{"topay":0.00}');
    assert.equal(jsonText({ topay: -45.9 }), '{"topay":-45.90}');
  });
});

describe('the shop settings', () => {
  it('a missing key is misconfigured, naming the key', () => {
    const { 'api-key': _, ...withoutKey } = settings;
    assert.deepEqual(call(withoutKey, 'verify-order', { order: '2025000123' }), {
      ok: false,
      reason: 'misconfigured',
      message: 'shop configuration: `api-key` is not set',
    });
  });

  it('a wrong key is unauthorized (HTTP 401 from the shop)', () => {
    const answer = call({ ...settings, 'api-key': 'wrong' }, 'verify-order', { order: '2025000123' });
    assert.deepEqual(answer, {
      ok: false,
      reason: 'unauthorized',
      message: 'Upgates refused the API login or key (HTTP 401)',
    });
  });

  it('no shop listening: the shim reports connection-refused', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/api/v2`;
    assert.deepEqual(call({ ...settings, 'api-url': url }, 'verify-order', { order: '2025000123' }), {
      ok: false,
      reason: 'upstream',
      message: 'unexpected answer from Upgates: request failed: connection refused',
    });
  });

  it('each call reads the settings anew: the right shop again', () => {
    assert.equal(call(settings, 'verify-order', { order: '2024000077' }).vars.currency, 'EUR');
  });
});

describe("the shop's guardrails, enforced inside the component", () => {
  it('allowed-statuses: a status the policy does not list is not-allowed, nothing written', () => {
    const policy = { ...settings, 'allowed-statuses': 'Odeslaná; Vyřizuje se' };
    assert.deepEqual(call(policy, 'set-order-status', { order: '2025000125', status: 'Stornovaná' }), {
      ok: false,
      reason: 'not-allowed',
      message: "not allowed by the shop's bot policy: `allowed-statuses` does not list the status `Stornovaná`",
    });
    assert.equal(call(settings, 'verify-order', { order: '2025000125' }).vars.status, null);
    assert.deepEqual(call(policy, 'set-order-status', { order: '2025000125', status: 'Vyřizuje se' }), {
      ok: true,
      vars: {},
    });
    assert.equal(call(settings, 'verify-order', { order: '2025000125' }).vars.status, 'Vyřizuje se');
  });

  it('max-note-length: a longer note is not-allowed', () => {
    const capped = { ...settings, 'max-note-length': '5' };
    assert.equal(call(capped, 'replace-note', { order: '2025000125', text: 'příliš dlouhá' }).reason, 'not-allowed');
  });

  it('verify-attempts: after 2 wrong e-mails even the right one is refused, Upgates not asked', async () => {
    // Through a recording proxy: the shop at the proxy's URL, with every request it got.
    const proxy = await startRecordingProxy(shop.url);
    try {
      const limited = { ...settings, 'api-url': proxy.url, 'verify-attempts': '2' };
      const check = (email) => call(limited, 'verify-customer', { order: '2024000077', email });
      const refused = {
        ok: false,
        reason: 'not-verified',
        message: 'the order number and e-mail do not match',
      };
      const asked = [{ method: 'GET', path: '/api/v2/orders/2024000077', query: null }];
      assert.deepEqual(check('x@example.sk'), refused);
      assert.deepEqual(await proxy.take(), asked);
      assert.deepEqual(check('y@example.sk'), refused);
      assert.deepEqual(await proxy.take(), asked);
      assert.deepEqual(check('peter.horvath@example.sk'), refused);
      assert.deepEqual(await proxy.take(), []);
      // The counters the component keeps in keyvalue.js (core's rule): per order and window,
      // 3 checks begun, the refused one given back: 2 failures held.
      assert.deepEqual(storedCounters(limited, '2024000077'), { begun: '3', 'given-back': '1' });

      // A fresh store (a new process): the right e-mail is checked, passes, and is given back.
      const { resetKeyValue } = await import('../keyvalue.js');
      resetKeyValue();
      assert.deepEqual(check('peter.horvath@example.sk'), { ok: true, vars: {} });
      assert.deepEqual(await proxy.take(), asked);
      assert.deepEqual(storedCounters(limited, '2024000077'), { begun: '1', 'given-back': '1' });
    } finally {
      await proxy.stop();
    }
  });

  it('require-proof: a write takes only the proof verify-customer answered for its order', () => {
    const proofs = {
      ...settings,
      'proof-secret': '0123456789abcdef0123456789abcdef',
      'require-proof': 'true',
    };
    const note = { order: '2025000126', text: 'Ověřeno' };
    const notVerified = {
      ok: false,
      reason: 'not-verified',
      message: 'the order number and e-mail do not match',
    };
    assert.deepEqual(call(proofs, 'replace-note', note), notVerified);
    const verified = call(proofs, 'verify-customer', { order: '2025000126', email: 'jana.novakova@example.cz' });
    assert.equal(verified.ok, true, JSON.stringify(verified));
    assert.match(verified.vars.proof, /^\d+\.[A-Za-z0-9_-]{43}$/);
    const other = call(proofs, 'verify-customer', { order: '2025000123', email: 'jana.novakova@example.cz' });
    assert.deepEqual(call(proofs, 'replace-note', { ...note, proof: other.vars.proof }), notVerified);
    assert.deepEqual(call(proofs, 'replace-note', { ...note, proof: verified.vars.proof }), {
      ok: true,
      vars: {},
    });
    // Without a secret the answers carry no proof, as the CLI's.
    assert.deepEqual(call(settings, 'verify-customer', { order: '2025000126', email: 'jana.novakova@example.cz' }), {
      ok: true,
      vars: {},
    });
  });

  it('enabled-actions: the others answer not-allowed', () => {
    const readOnly = { ...settings, 'enabled-actions': 'verify-order' };
    assert.deepEqual(call(readOnly, 'append-note', { order: '2025000125', text: 'x' }), {
      ok: false,
      reason: 'not-allowed',
      message: "not allowed by the shop's bot policy: `enabled-actions` does not list `append-note`",
    });
  });

  it('mask-personal-data: the e-mail is masked', () => {
    const masked = { ...settings, 'mask-personal-data': 'true' };
    assert.deepEqual(call(masked, 'customer-email', { order: '2025000123' }), {
      ok: true,
      vars: { email: 'j***@example.cz' },
    });
  });
});

describe('cli.mjs', () => {
  const run = promisify(execFile);
  const env = () => ({
    ...process.env,
    UPGATES_API_URL: shop.url,
    UPGATES_API_LOGIN: shop.login,
    UPGATES_API_KEY: shop.key,
  });

  it('prints one JSON answer and exits 0', async () => {
    const { stdout } = await run(process.execPath, ['cli.mjs', 'verify-order', '{"order":"2024000077"}'], {
      cwd: HERE,
      env: env(),
    });
    // Amounts with two decimals, as the `upgates` CLI writes them.
    assert.match(stdout, /"topay":45\.90,/);
    assert.deepEqual(JSON.parse(stdout), {
      ok: true,
      vars: {
        status: 'Odoslaná',
        billing: 'Dobierka',
        shipping: 'Slovenská pošta',
        paid: true,
        topay: 45.9,
        topaytext: '45,90\u00a0€',
        currency: 'EUR',
        tracking: 'RR123456789SK',
        trackingurl: null,
      },
    });
  });

  it('exits 2 on a usage error', async () => {
    await assert.rejects(
      run(process.execPath, ['cli.mjs', 'drop-table', '{}'], { cwd: HERE, env: env() }),
      (e) => e.code === 2 && /unknown action/.test(e.stderr),
    );
  });
});
