'use strict';
// Calls a running kirimd through the Node.js client (clients/node: @grpc/grpc-js with
// @grpc/proto-loader) and prints one line per check: "OK <check> ..." or "FAIL <check>: why".
// Exits 0 only when every check passed.
//
// usage: KIRIM_API_KEY=... node node_client.js --address HOST:PORT [--client DIR]
//
// Checks: grpc.health.v1 Check is SERVING; SendEmail returns an id; WatchEvents (opened before
// the send, from an empty cursor = from now) streams that message's DELIVERED event; GetMessage
// says DELIVERED; an invalid SendEmail is INVALID_ARGUMENT whose grpc-status-details-bin decodes
// to a google.rpc.Status with a BadRequest naming "to[0]". Every wait has a deadline.

const path = require('path');

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const address = arg('--address');
const clientDir = arg('--client', path.join(__dirname, '..', '..', 'clients', 'node'));
const timeoutMs = Number(arg('--timeout', '30')) * 1000;
const apiKey = process.env.KIRIM_API_KEY || '';
if (!address || !apiKey) {
  console.error('usage: KIRIM_API_KEY=... node node_client.js --address HOST:PORT [--client DIR]');
  process.exit(2);
}

let client;
try {
  client = require(clientDir);
} catch (e) {
  console.error(`cannot load the client from ${clientDir}: ${e.message}`);
  console.error('(its npm packages come from script/bootstrap: npm ci in clients/node)');
  process.exit(1);
}
const { KirimClient, grpc, statusDetails, badRequestFields, deadline } = client;

const failures = [];
const ok = (line) => console.log(`OK ${line}`);
function fail(check, why) {
  failures.push(check);
  console.log(`FAIL ${check}: ${why}`);
}
const describe = (e) => `${grpc.status[e.code] || e.code}: ${e.details || e.message}`;

function request(to) {
  return {
    from: 'Toko Kirim <toko@example.com>',
    to: [to],
    subject: 'Hello from Node.js',
    text_body: 'Sent by tests/clients/node_client.js\n',
  };
}

// Opens WatchEvents from now and resolves once its headers arrived (its start is then fixed).
// `until(pred)` resolves with the first event streamed (so far or later) that matches.
function openWatch(kirim) {
  const call = kirim.mail.WatchEvents({}, { deadline: deadline(timeoutMs) });
  const seen = [];
  const events = [];
  let waiter = null;
  let ended = null;
  call.on('data', (ev) => {
    seen.push(`${ev.type} ${ev.message}`);
    events.push(ev);
    if (waiter && waiter.pred(ev)) {
      const w = waiter;
      waiter = null;
      w.resolve(ev);
    }
  });
  const finish = (why) => {
    ended = why;
    if (waiter) waiter.reject(new Error(`${why}; saw [${seen.join(', ')}]`));
  };
  call.on('error', (e) => finish(describe(e)));
  call.on('end', () => finish('stream ended'));
  const ready = new Promise((resolve) => {
    call.on('metadata', resolve);
    call.on('error', resolve);
  });
  return {
    call,
    ready,
    until(pred) {
      const earlier = events.find(pred);
      if (earlier) return Promise.resolve(earlier);
      if (ended) return Promise.reject(new Error(ended));
      return new Promise((resolve, reject) => {
        waiter = { pred, resolve, reject };
      });
    },
  };
}

async function main() {
  const kirim = new KirimClient(address, { apiKey });

  // Health.
  try {
    const h = await kirim.unary(kirim.health, 'Check', { service: '' }, { timeoutMs });
    if (h.status === 'SERVING') ok(`health ${h.status}`);
    else fail('health', h.status);
  } catch (e) {
    fail('health', describe(e));
  }

  const watch = openWatch(kirim);
  await watch.ready;

  // Send.
  let id = '';
  try {
    const resp = await kirim.unary(kirim.mail, 'SendEmail', request('Ana <ana@example.net>'), { timeoutMs });
    id = resp.id;
    if (id.length === 26 && resp.name === `messages/${id}`) ok(`send ${id}`);
    else fail('send', `unexpected response ${JSON.stringify(resp)}`);
  } catch (e) {
    fail('send', describe(e));
  }

  // Watch until this message's DELIVERED event.
  if (id) {
    try {
      const ev = await watch.until((e) => e.message === `messages/${id}` && e.type === 'DELIVERED');
      ok(`watch ${id} ${ev.type} cursor=${ev.cursor !== ''}`);
    } catch (e) {
      fail('watch', e.message);
    }
  }
  watch.call.cancel();

  // Get.
  if (id) {
    try {
      const m = await kirim.unary(kirim.mail, 'GetMessage', { name: id }, { timeoutMs });
      if (m.id === id && m.state === 'DELIVERED') ok(`get ${id} ${m.state}`);
      else fail('get', `${m.id} ${m.state}`);
    } catch (e) {
      fail('get', describe(e));
    }
  }

  // An invalid request: the error's details name the field.
  try {
    const resp = await kirim.unary(kirim.mail, 'SendEmail', request('ana(at)example.net'), { timeoutMs });
    fail('error', `accepted as ${resp.id}`);
  } catch (e) {
    const status = statusDetails(e);
    const fields = badRequestFields(e);
    if (e.code !== grpc.status.INVALID_ARGUMENT) {
      fail('error', describe(e));
    } else if (status === null || status.code !== grpc.status.INVALID_ARGUMENT) {
      fail('error', `no google.rpc.Status with code 3 in the trailers: ${JSON.stringify(status)}`);
    } else if (fields.length !== 1 || fields[0] !== 'to[0]') {
      fail('error', `BadRequest fields ${JSON.stringify(fields)}, details ${JSON.stringify(status.details)}`);
    } else {
      ok(`error ${grpc.status[e.code]} ${fields.join(' ')}`);
    }
  }

  kirim.close();
  console.log(failures.length ? `node client: ${failures.length} check(s) failed` : 'node client: all checks passed');
  return failures.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.log(`FAIL unexpected: ${e.stack || e}`);
    process.exit(1);
  },
);
