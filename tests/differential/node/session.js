// One scripted session of the Node `etcd3` client (npm, pinned in
// package-lock.json) against the server at ETCD_ENDPOINT: KV, txn, ranges,
// compaction errors, leases with keep-alive, watches (key, prefix, history,
// delete, prev_kv), the client's lock and election recipes, auth users and
// roles, maintenance status. Prints one JSON array of [step, answer] pairs on
// stdout; test_node_etcd3_diff.py runs it against etcd 3.4 and Cairn and compares.
'use strict';

const { Etcd3 } = require('etcd3');

const endpoint = process.env.ETCD_ENDPOINT;
const client = new Etcd3({ hosts: endpoint, dialTimeout: 5000 });
const out = [];
const record = (step, answer) => out.push([step, answer]);

// An error as the client reports it: its class and etcd's message.
const failure = (err) => ({ error: err.constructor.name, message: err.message });
async function attempt(step, fn) {
  try {
    record(step, await fn());
  } catch (err) {
    record(step, failure(err));
  }
}

const kv = (k) => (k ? { key: k.key.toString(), value: k.value.toString(),
  create: k.create_revision, mod: k.mod_revision, version: k.version } : null);

function collect(watcher, count) {
  return new Promise((resolve, reject) => {
    const events = [];
    const timer = setTimeout(() => reject(new Error(`only ${events.length} of ${count} events`)),
      10000);
    const push = (type) => (k, prev) => {
      events.push({ type, kv: kv(k), prev: prev ? kv(prev) : null });
      if (events.length === count) {
        clearTimeout(timer);
        resolve(events);
      }
    };
    watcher.on('put', push('put'));
    watcher.on('delete', (k, prev) => push('delete')({ ...k, value: '' }, prev));
  });
}

async function main() {
  // KV.
  await attempt('put a', async () => (await client.put('a').value('1')).header.revision);
  await attempt('put b', async () => (await client.put('b').value('2')).header.revision);
  await attempt('put a prev', async () => kv((await client.put('a').value('3').getPrevious())));
  await attempt('get a', () => client.get('a').string());
  await attempt('get missing', () => client.get('nope').string());
  await attempt('getAll', () => client.getAll().strings());
  await attempt('getAll prefix sorted desc', () =>
    client.getAll().prefix('').sort('Key', 'Descend').limit(1).keys());
  await attempt('count', () => client.getAll().count());
  await attempt('get at revision 2', () => client.get('a').revision(2).string());
  await attempt('txn', async () => {
    const r = await client.if('a', 'Value', '==', '3').then(client.put('c').value('4'))
      .else(client.delete().key('a')).commit();
    return { succeeded: r.succeeded, responses: r.responses.length };
  });
  await attempt('txn fails', async () => {
    const r = await client.if('a', 'Version', '>', 99).then(client.put('x').value('y'))
      .else(client.get('c')).commit();
    return { succeeded: r.succeeded, kvs: r.responses[0].response_range.kvs.map(kv) };
  });
  await attempt('delete c', async () => (await client.delete().key('c').getPrevious()).map(kv));
  await attempt('put empty key', () => client.put('').value('x').exec());

  // Watches: a key and a prefix from now, then history from revision 1.
  const w1 = await client.watch().key('w').withPreviousKV().create();
  const w2 = await client.watch().prefix('p/').create();
  const got1 = collect(w1, 3);
  const got2 = collect(w2, 2);
  await client.put('w').value('1');
  await client.put('w').value('2');
  await client.put('p/1').value('x');
  await client.delete().key('w');
  await client.put('p/2').value('y');
  await attempt('watch key', () => got1);
  await attempt('watch prefix', () => got2);
  await w1.cancel();
  await w2.cancel();
  const w3 = await client.watch().key('a').startRevision('1').create();
  await attempt('watch history', () => collect(w3, 2));
  await w3.cancel();

  // Leases.
  const lease = client.lease(30, { autoKeepAlive: false });
  await lease.grant();
  await attempt('lease put', async () => (await lease.put('leased').value('v').exec()).header.revision);
  await attempt('lease keepalive', async () => (await lease.keepaliveOnce()).TTL);
  await attempt('lease ttl', async () => {
    const r = await client.leaseClient.leaseTimeToLive({ ID: await lease.grant(), keys: true });
    return { granted: r.grantedTTL, keys: r.keys.map((k) => k.toString()) };
  });
  await attempt('lease revoke', () => lease.revoke());
  await attempt('leased key gone', () => client.get('leased').string());
  await attempt('put unknown lease', () => client.put('z').value('1').lease('12345').exec());

  // Compaction.
  const rev = (await client.put('k').value('v')).header.revision;
  await attempt('compact', async () => {
    await client.kv.compact({ revision: rev - 1, physical: true });
    return 'ok';
  });
  await attempt('get compacted', () => client.get('a').revision(1).string());
  await attempt('compact future', () => client.kv.compact({ revision: rev + 100 }));

  // The client's lock and election recipes (KV and leases underneath).
  await attempt('lock', () => client.lock('mylock').ttl(10).do(async () => {
    const held = await client.getAll().prefix('mylock').count();
    return { held };
  }));
  const election = client.election('el', 10);
  const campaign = election.campaign('first');
  await attempt('elected', () => new Promise((resolve, reject) => {
    campaign.on('elected', () => resolve('elected'));
    campaign.on('error', reject);
  }));
  await attempt('leader', () => election.leader());
  await attempt('proclaim', async () => {
    await campaign.proclaim('second');
    return election.leader();
  });
  await attempt('resign', async () => {
    await campaign.resign();
    return (await election.leader()) ?? null;
  });

  // Auth users and roles (auth stays disabled).
  await attempt('role add', async () => (await client.role('reader').create()).name);
  await attempt('grant', async () => {
    await client.role('reader').grant({ permission: 'Read', range: client.range({ prefix: 'a' }) });
    return (await client.role('reader').permissions()).map((p) => ({
      permission: p.permission, start: p.range.start.toString(), end: p.range.end.toString() }));
  });
  await attempt('user add', async () => (await client.user('ann').create('secret')).name);
  await attempt('user add again', () => client.user('ann').create('secret'));
  await attempt('user roles', async () => {
    await client.user('ann').addRole('reader');
    return (await client.user('ann').roles()).map((r) => r.name);
  });
  await attempt('users', async () => (await client.getUsers()).map((u) => u.name));
  await attempt('role missing', () => client.role('none').permissions());

  // Maintenance.
  await attempt('status', async () => {
    const s = await client.maintenance.status();
    return { version: s.version, hasLeader: s.leader !== '0' };
  });
  await attempt('defragment', async () => Object.keys(await client.maintenance.defragment()));
}

main()
  .then(() => {
    process.stdout.write(JSON.stringify(out) + '\n');
    client.close();
  })
  .catch((err) => {
    process.stdout.write(JSON.stringify(out) + '\n');
    process.stderr.write(`session aborted: ${err.stack}\n`);
    client.close();
    process.exit(1);
  });
