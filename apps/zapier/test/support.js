'use strict';

// What the suites share: the live hub the pytest wrapper started (its address and fixtures
// reach node through the environment), a direct API caller with the account's API key (to
// prepare and to check, beside the app), a loopback receiver for REST hook deliveries.

const http = require('node:http');

const fixture = () => {
  const raw = process.env.IVALID_TEST_ZAPIER;
  if (!raw) throw new Error('IVALID_TEST_ZAPIER is not set: run this suite through pytest');
  return JSON.parse(raw);
};

/** Calls the hub as the account's API key (not through the app). */
const api = async (method, path, body) => {
  const { origin, api_key: apiKey } = fixture();
  const response = await fetch(`${origin}/v2${path}`, {
    method,
    headers: {
      Authorization: `Bearer ${apiKey}`,
      'Content-Type': 'application/json',
      'Accept-Language': 'en',
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
};

/** A loopback HTTP server that records every POST (the hub's deliveries), answering 200. */
const startReceiver = async () => {
  const received = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const content = Buffer.concat(chunks).toString('utf8');
      received.push({ path: req.url, headers: req.headers, content, json: JSON.parse(content || 'null') });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
};

/** Wait (polling) until `find()` returns something, or fail after `seconds`. */
const waitFor = async (what, find, seconds = 40) => {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = find();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
};

/** The first free slots of the fixture's day for the demo service in 75001. */
const freeSlots = async () => {
  const { ids, day } = fixture();
  const query = new URLSearchParams({ service_id: ids.service_id, date: day, postal_code: '75001' });
  const answer = await api('GET', `/availability?${query}`);
  if (answer.status !== 200 || !answer.body.slots.length) {
    throw new Error(`no free slot on ${day}: ${JSON.stringify(answer.body)}`);
  }
  return answer.body.slots;
};

module.exports = { api, fixture, freeSlots, startReceiver, waitFor };
