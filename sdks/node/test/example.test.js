'use strict';
// The API documentation's Node.js example, run as printed against a live hub; the README's code.

const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const { createRequire } = require('node:module');
const os = require('node:os');
const path = require('node:path');
const { test } = require('node:test');
const vm = require('node:vm');
const iValid = require('@ivalid/sdk');
const { PACKAGE_ROOT, REPO_ROOT, hubFromEnv, needs } = require('./helpers');

const SPEC_PATH = path.join(REPO_ROOT, '..', 'shared', 'spec', 'ivalid-api-v2.md');
const README = path.join(PACKAGE_ROOT, 'README.md');
// The shell line the documentation prints above the code; the README shows it as a command.
const NPM_LINE = 'npm install @ivalid/sdk';

/** The Node.js block of the spec (`nodejs-example.js`), or the README's copy of it. */
function specNodeExample() {
  const source = fs.existsSync(SPEC_PATH) ? SPEC_PATH : README;
  const match = /`nodejs-example\.js`\s*```javascript\n([\s\S]*?)```/.exec(fs.readFileSync(source, 'utf8'));
  assert.ok(match, `no nodejs-example.js block in ${source}`);
  return match[1];
}

/** The example minus its `npm install` line, which is a shell command, not JavaScript. */
function runnable(block) {
  const lines = block.split('\n');
  assert.equal(lines[0].trim(), NPM_LINE);
  return `${lines.slice(1).join('\n')}\n`;
}

test('S06 the README shows the spec example verbatim', () => {
  const readme = fs.readFileSync(README, 'utf8');
  assert.ok(readme.includes(specNodeExample()), 'the README lacks the spec example, install line included');
  assert.ok(readme.includes(`\`\`\`bash\n${NPM_LINE}\n\`\`\``));
});

test('S06 every JavaScript block of the README is valid JavaScript', () => {
  const readme = fs.readFileSync(README, 'utf8');
  const scripts = [...readme.matchAll(/```javascript\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(scripts.length >= 6, `${scripts.length} javascript blocks`);
  for (let block of scripts) {
    if (block.startsWith(NPM_LINE)) block = runnable(block);
    // Top-level await, as printed: valid in an async function body, where such code runs.
    assert.doesNotThrow(() => new vm.Script(`(async () => {\n${block}\n})`, { filename: 'README.md' }), block);
  }
  const modules = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(modules.length >= 1);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ivalid-readme-'));
  try {
    modules.forEach((block, i) => {
      const file = path.join(dir, `block${i}.mjs`);
      fs.writeFileSync(file, block);
      execFileSync(process.execPath, ['--check', file]);
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('S05 the spec Node.js example runs as printed', needs('IVALID_TEST_HUB', 'IVALID_BASE_URL'), async () => {
  const hub = hubFromEnv('IVALID_TEST_HUB');
  let code = runnable(specNodeExample());
  // What is substituted, and nothing else: the demo account's credentials and ids replace the
  // documentation's placeholders (cust_abc123 / srv_installation are not real ids on a fresh
  // server), and the base URL reaches the test server through IVALID_BASE_URL, which the Client
  // reads, so `environment: 'production'` stays as printed.
  const substitutions = {
    "'your_api_key'": JSON.stringify(hub.demo.api_key),
    "'cust_abc123'": JSON.stringify(hub.demo.customer_id),
    "'srv_installation'": JSON.stringify(hub.demo.service_id),
  };
  for (const [placeholder, value] of Object.entries(substitutions)) {
    assert.equal(code.split(placeholder).length - 1, 1, placeholder);
    code = code.replace(placeholder, value);
  }
  assert.equal(process.env.IVALID_BASE_URL, hub.base_url);

  // The printed code uses `require` and top-level `await`, which only an async function body
  // (or a REPL) accepts together: it runs as one, with a real `require`, and hands back what it
  // made so the test can look at it.
  const AsyncFunction = (async () => {}).constructor;
  const example = new AsyncFunction('require', `${code}\nreturn { client, appointments, newAppointment };`);
  const { client, appointments, newAppointment } = await example(createRequire(__filename));

  assert.ok(client instanceof iValid.Client);
  assert.equal(client.baseUrl, hub.base_url);
  assert.equal(client.environment, 'production');
  assert.ok(appointments instanceof iValid.Page);
  assert.ok(appointments.data.every((a) => a.status === 'confirmed'));
  assert.equal(appointments.meta.page, 1);

  assert.match(newAppointment.id, /^apt_/);
  assert.equal(newAppointment.customer.id, hub.demo.customer_id);
  assert.equal(newAppointment.customer.name, 'Marie Dupont');
  assert.equal(newAppointment.service.name, 'Installation Climatisation');
  assert.equal(newAppointment.scheduled_at, '2025-01-20T09:00:00Z');
  assert.ok(newAppointment.technician, 'the hub chose a technician');
  assert.deepEqual(await client.appointments.get(newAppointment.id), newAppointment);
});
