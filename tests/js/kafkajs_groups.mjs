// kafkajs_groups.mjs — Sluice's group coordinator against kafkajs 2.2.4's
// Consumer (run by tests/integration/kafkajs_groups.sh).
//
// One kafkajs consumer (subscribe + run with eachMessage) reads a topic that
// kafkajs produced; then two consumers in one group split the partitions of
// a 4-partition topic between them (disjoint, covering all), read every
// record exactly once between them, and commit; after they disconnect the
// group is Empty and admin.fetchOffsets shows the committed offsets at the
// log end offsets. The script then leaves the group for kcat -G (the shell
// script), which must read nothing old.
//
// Env: SLUICE_BOOTSTRAP=host:port (required), SLUICE_TOPIC and SLUICE_GROUP
// (the 4-partition topic and its group, both created here).
import { createRequire } from 'node:module'
import assert from 'node:assert/strict'

const require = createRequire(import.meta.url)
const { Kafka, logLevel } = require('kafkajs')

const bootstrap = process.env.SLUICE_BOOTSTRAP
if (!bootstrap) throw new Error('SLUICE_BOOTSTRAP is not set')
const topic = process.env.SLUICE_TOPIC || `kjs-groups-${process.pid}`
const groupId = process.env.SLUICE_GROUP || `kjs-group-${process.pid}`
const t0 = Date.now()
const step = msg => console.log(`[kafkajs_groups.mjs ${String(Date.now() - t0).padStart(6)} ms] ${msg}`)

const kafka = new Kafka({
  clientId: 'sluice-kafkajs-groups',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  connectionTimeout: 10000,
  requestTimeout: 30000,
  retry: { retries: 10, initialRetryTime: 200 }
})

// waitUntil(what, fn, ms) — polls fn every 100 ms until it is true.
const waitUntil = async (what, fn, ms = 60000) => {
  const end = Date.now() + ms
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 100))
  }
}

const consumerOpts = group => ({
  groupId: group,
  sessionTimeout: 10000,
  rebalanceTimeout: 20000,
  heartbeatInterval: 300,
  maxWaitTimeInMs: 200,
  retry: { retries: 10, initialRetryTime: 200 }
})

const admin = kafka.admin()
await admin.connect()
const producer = kafka.producer({ allowAutoTopicCreation: false })
await producer.connect()

// produce(topic, prefix, n) — n keyed records "<prefix>-<i>", spread by key.
const produce = async (t, prefix, n) => {
  const values = []
  for (let i = 0; i < n; i += 100) {
    const messages = []
    for (let j = i; j < Math.min(n, i + 100); j++) {
      values.push(`${prefix}-${j}`)
      messages.push({ key: `k-${j}`, value: `${prefix}-${j}` })
    }
    const res = await producer.send({ topic: t, acks: -1, messages })
    for (const r of res) assert.equal(r.errorCode, 0, `produce error ${r.errorCode} on partition ${r.partition}`)
  }
  return values
}

// ---------------------------------------------------------------- one consumer
const t1 = `${topic}-single`
step(`one group consumer: ${t1} (3 partitions), 300 records from a kafkajs producer`)
assert.equal(await admin.createTopics({ topics: [{ topic: t1, numPartitions: 3 }], waitForLeaders: true }), true)
const single = await produce(t1, 'single', 300)
{
  const c = kafka.consumer(consumerOpts(`${groupId}-single`))
  const got = []
  let commits = 0
  c.on(c.events.COMMIT_OFFSETS, () => { commits++ })
  await c.connect()
  await c.subscribe({ topic: t1, fromBeginning: true })
  await c.run({ autoCommitInterval: 200, eachMessage: async ({ message }) => { got.push(message.value.toString()) } })
  await waitUntil(`the 300 records of ${t1} (got ${got.length})`, () => got.length >= single.length)
  await c.disconnect()
  assert.deepEqual([...got].sort(), [...single].sort(), 'the single consumer did not read every record once')
  assert.ok(commits > 0, 'the single consumer never committed')
  const offs = await admin.fetchOffsets({ groupId: `${groupId}-single`, topics: [t1] })
  const sum = offs[0].partitions.reduce((s, p) => s + Number(p.offset), 0)
  assert.equal(sum, single.length, `committed offsets of ${t1} add up to ${sum}`)
  step(`read ${got.length} records, ${commits} commits, committed offsets add up to ${sum}`)
}

// ---------------------------------------------------------------- two consumers
step(`two group consumers in ${groupId} on ${topic} (4 partitions)`)
assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 4 }], waitForLeaders: true }), true)

const members = [0, 1].map(i => {
  const c = kafka.consumer(consumerOpts(groupId))
  const m = { i, c, assignment: [], joins: 0, commits: 0, got: [] }
  c.on(c.events.GROUP_JOIN, e => {
    m.joins++
    m.assignment = (e.payload.memberAssignment[topic] || []).slice().sort()
    step(`consumer ${i} joined (${e.payload.isLeader ? 'leader' : 'follower'}): partitions ${m.assignment}`)
  })
  c.on(c.events.COMMIT_OFFSETS, () => { m.commits++ })
  return m
})
for (const m of members) {
  await m.c.connect()
  await m.c.subscribe({ topic, fromBeginning: true })
  await m.c.run({
    autoCommitInterval: 200,
    eachMessage: async ({ partition, message }) => { m.got.push({ partition, value: message.value.toString() }) }
  })
}
const split = () => {
  const [a, b] = members.map(m => m.assignment)
  const all = [...a, ...b].sort()
  return a.length > 0 && b.length > 0 && all.length === 4 && new Set(all).size === 4
}
await waitUntil(`the two consumers to split the 4 partitions (now ${members.map(m => `[${m.assignment}]`)})`, split)
step(`split: consumer 0 owns [${members[0].assignment}], consumer 1 owns [${members[1].assignment}]`)

const values = await produce(topic, 'rec', 800)
const total = () => members[0].got.length + members[1].got.length
await waitUntil(`800 records read by the two (got ${total()})`, () => total() >= values.length)
assert.ok(split(), `the assignment changed while reading: [${members[0].assignment}] / [${members[1].assignment}]`)
const read = members.flatMap(m => m.got.map(g => g.value)).sort()
const dups = read.filter((v, k) => k > 0 && read[k - 1] === v)
assert.equal(dups.length, 0, `records read twice: ${dups.slice(0, 5)}`)
assert.deepEqual(read, [...values].sort(), 'the two consumers did not read every record')
for (const m of members) {
  const parts = new Set(m.got.map(g => g.partition))
  for (const p of parts) assert.ok(m.assignment.includes(p), `consumer ${m.i} read partition ${p}, not its own`)
  assert.ok(m.got.length > 0, `consumer ${m.i} read nothing`)
  step(`consumer ${m.i} read ${m.got.length} records from partitions ${[...parts].sort()}`)
}

// Commits happen (every 200 ms, and on disconnect).
await waitUntil('commits from both consumers', () => members.every(m => m.commits > 0))
const described = await admin.describeGroups([groupId])
const g = described.groups[0]
assert.equal(g.state, 'Stable', `describeGroups says ${g.state}`)
assert.equal(g.members.length, 2, `describeGroups lists ${g.members.length} members`)
step(`describeGroups: ${g.state}, ${g.members.length} members, protocol ${g.protocol}`)
for (const m of members) await m.c.disconnect()
step(`both disconnected (commits: ${members.map(m => m.commits)})`)

// ---------------------------------------------------------------- offsets
const after = (await admin.describeGroups([groupId])).groups[0]
assert.equal(after.state, 'Empty', `after both left the group is ${after.state}, not Empty`)
const high = new Map((await admin.fetchTopicOffsets(topic)).map(o => [o.partition, o.high]))
const offs = await admin.fetchOffsets({ groupId, topics: [topic] })
assert.equal(offs.length, 1)
const committed = offs[0].partitions.map(p => [p.partition, p.offset]).sort((x, y) => x[0] - y[0])
step(`fetchOffsets ${JSON.stringify(committed)}; log end offsets ${JSON.stringify([...high])}`)
assert.equal(committed.length, 4)
for (const [p, o] of committed) assert.equal(o, high.get(p), `partition ${p}: committed ${o}, log end ${high.get(p)}`)
const listed = await admin.listGroups()
assert.ok(listed.groups.some(x => x.groupId === groupId && x.protocolType === 'consumer'), `listGroups: ${JSON.stringify(listed.groups)}`)

await producer.disconnect()
await admin.disconnect()
step('PASS')
