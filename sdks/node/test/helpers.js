'use strict';
/** Helpers of the SDK's tests: the live hubs the test runner started, and a scripted loopback server. */

const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const PACKAGE_ROOT = path.resolve(__dirname, '..');
const REPO_ROOT = path.resolve(PACKAGE_ROOT, '..', '..');

/**
 * A live hub started by the test runner (tests/sdk/test_sdk_node.py), described in an environment
 * variable as JSON `{origin, base_url, demo}`; null when the tests run without one.
 */
function hubFromEnv(name) {
  const raw = process.env[name];
  return raw ? JSON.parse(raw) : null;
}

/** node:test options skipping a live test when its hub was not started (say which variable). */
function needs(...names) {
  const missing = names.filter((name) => !process.env[name]);
  return missing.length ? { skip: `no live hub: ${missing.join(', ')} not set (run it through pytest tests/sdk/test_sdk_node.py)` } : {};
}

/**
 * A UTC Date on `weekday` (0 = Monday) `weeks` weeks from now, at hour:minute UTC, as the Python
 * SDK's tests pick their slots: each test books on its own day, far from the demo's appointment
 * (tomorrow); 07-14 UTC is within the demo technicians' hours (08:00-17:00 Paris) all year.
 */
function futureSlot(weeks, weekday, hour, minute = 0) {
  const now = new Date();
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const todayWeekday = (new Date(today).getUTCDay() + 6) % 7;
  const days = weeks * 7 + ((weekday - todayWeekday + 7) % 7);
  const day = new Date(today + days * 86400000);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour, minute));
}

/** `2025-01-20T09:00:00Z`, as the API writes instants. */
function isoZ(value) {
  return value.toISOString().replace('.000Z', 'Z');
}

/** `YYYY-MM-DD` of a Date, in UTC. */
function isoDay(value) {
  return value.toISOString().slice(0, 10);
}

/** One scripted answer; `drop` closes the connection without answering. */
function reply(status = 200, body = undefined, headers = {}) {
  return { status, body, headers, drop: false };
}
const DROP = Object.freeze({ drop: true });

/** A real HTTP server on 127.0.0.1 that answers each route from a queue of replies. */
class StubServer {
  constructor() {
    this.received = [];
    this._replies = new Map();
    this._defaults = new Map();
    this.server = http.createServer((req, res) => this._handle(req, res));
    this.server.keepAliveTimeout = 1000;
  }

  /** Start listening on a free port. */
  async start() {
    await new Promise((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return this;
  }

  get origin() {
    return `http://127.0.0.1:${this.server.address().port}`;
  }

  get baseUrl() {
    return `${this.origin}/v2`;
  }

  /** Answer the next requests to `method path` with these replies, in order. */
  queue(method, route, ...replies) {
    const key = `${method} ${route}`;
    if (!this._replies.has(key)) this._replies.set(key, []);
    this._replies.get(key).push(...replies);
  }

  /** Answer `method path` with `make(request)` once its queue is empty. */
  default(method, route, make) {
    this._defaults.set(`${method} ${route}`, make);
  }

  /** The requests received for one route. */
  calls(method, route) {
    return this.received.filter((r) => r.method === method && r.path.split('?')[0] === route);
  }

  _handle(req, res) {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const request = {
        method: req.method,
        path: req.url,
        query: new URL(req.url, 'http://stub').searchParams,
        headers: req.headers,
        body,
        json: () => (body.length ? JSON.parse(body.toString('utf8')) : undefined),
      };
      this.received.push(request);
      const key = `${req.method} ${req.url.split('?')[0]}`;
      const queue = this._replies.get(key);
      let answer;
      if (queue && queue.length) answer = queue.shift();
      else if (this._defaults.has(key)) answer = this._defaults.get(key)(request);
      else answer = reply(404, { error: { code: 'NOT_FOUND', message: `no stub for ${key}` } });
      if (answer.drop) {
        req.socket.destroy();
        return;
      }
      const payload = answer.body === undefined || answer.body === null ? '' : JSON.stringify(answer.body);
      res.writeHead(answer.status, {
        'Content-Type': 'application/json',
        'Content-Length': Buffer.byteLength(payload),
        'X-Request-Id': `req_stub${this.received.length}`,
        ...answer.headers,
      });
      res.end(payload);
    });
  }

  /** Stop serving and release the port. */
  async close() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

/** A started stub server, closed after the test. */
async function stubServer(t) {
  const stub = await new StubServer().start();
  t.after(() => stub.close());
  return stub;
}

/** The Python SDK's version (`sdks/python/ivalid/_version.py`). */
function pythonSdkVersion() {
  const text = fs.readFileSync(path.join(REPO_ROOT, 'sdks', 'python', 'ivalid', '_version.py'), 'utf8');
  return /__version__\s*=\s*"([^"]+)"/.exec(text)[1];
}

/** Wait `ms` milliseconds. */
function pause(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

module.exports = {
  DROP,
  PACKAGE_ROOT,
  REPO_ROOT,
  StubServer,
  futureSlot,
  hubFromEnv,
  isoDay,
  isoZ,
  needs,
  pause,
  pythonSdkVersion,
  reply,
  stubServer,
};
