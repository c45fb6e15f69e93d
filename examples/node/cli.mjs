#!/usr/bin/env node
// One action from the command line, through the transpiled component:
//
//   UPGATES_API_URL=... UPGATES_API_LOGIN=... UPGATES_API_KEY=... \
//     node cli.mjs verify-order '{"order":"2025000123"}'
//
// Prints one JSON object like the `upgates` CLI and exits 0 for "Ano" and "Ne" alike; usage
// and configuration errors exit 2 with a message on stderr.

import { ACTION_NAMES, call, jsonText } from './upgates.js';

function usage(message) {
  process.stderr.write(
    `cli.mjs: ${message}\n` +
      `usage: node cli.mjs <action> '<JSON inputs>'   (actions: ${ACTION_NAMES.join(', ')})\n` +
      'The shop: UPGATES_API_URL, UPGATES_API_LOGIN, UPGATES_API_KEY, ' +
      'optional UPGATES_DEFAULT_COUNTRY_CODE.\n',
  );
  process.exit(2);
}

const [action, json = '{}'] = process.argv.slice(2);
if (!action) usage('no action given');
if (!ACTION_NAMES.includes(action)) usage(`unknown action ${JSON.stringify(action)}`);

let input;
try {
  input = JSON.parse(json);
} catch {
  usage('the inputs are not JSON');
}
if (input === null || typeof input !== 'object' || Array.isArray(input)) {
  usage('the inputs must be a JSON object');
}

const env = process.env;
for (const name of ['UPGATES_API_URL', 'UPGATES_API_LOGIN', 'UPGATES_API_KEY']) {
  if (!env[name]) usage(`${name} is not set`);
}
const shop = {
  'api-url': env.UPGATES_API_URL,
  'api-login': env.UPGATES_API_LOGIN,
  'api-key': env.UPGATES_API_KEY,
  'default-country-code': env.UPGATES_DEFAULT_COUNTRY_CODE || undefined,
};

const answer = call(shop, action, input);
if (!answer.ok && answer.reason === 'misconfigured') usage(answer.message);
process.stdout.write(`${jsonText(answer)}\n`);
