// kafkajs.mjs — Sluice against kafkajs 2.2.4 (run by tests/integration/kafkajs.sh).
//
// Admin: create a 3-partition topic, describe it, add a partition, delete it,
// list topics. Producers: plain, GZIP (the only codec kafkajs has built in),
// idempotent (idempotent: true, maxInFlightRequests: 1); keyed, explicitly
// partitioned, binary, empty, null and 100 KB values, headers. Read back:
// kafkajs's Consumer needs consumer groups, which Sluice does not have yet, so
// the records are read with kafkajs's own low-level Fetch (its Cluster and
// Broker objects, the ones its Consumer uses underneath) and compared byte
// for byte, with per-partition order, the partition the key hashes to, and
// the idempotent batches' producer ids.
//
// Env: SLUICE_BOOTSTRAP=host:port (required); SLUICE and SLUICE_DATA_DIR to
// check the codec of the stored batches with `sluice dump-log`.
import { createRequire } from 'node:module'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import assert from 'node:assert/strict'

const require = createRequire(import.meta.url)
const { Kafka, CompressionTypes, Partitioners, logLevel } = require('kafkajs')

const bootstrap = process.env.SLUICE_BOOTSTRAP
if (!bootstrap) throw new Error('SLUICE_BOOTSTRAP is not set')
const t0 = Date.now()
const step = msg => console.log(`[kafkajs.mjs ${String(Date.now() - t0).padStart(6)} ms] ${msg}`)

const kafka = new Kafka({
  clientId: 'sluice-kafkajs-test',
  brokers: [bootstrap],
  logLevel: logLevel.WARN,
  connectionTimeout: 10000,
  requestTimeout: 30000,
  retry: { retries: 8, initialRetryTime: 200 }
})

const topic = `kafkajs-${process.pid}-${t0}`
const admin = kafka.admin()
await admin.connect()

// ---------------------------------------------------------------- admin
step(`createTopics ${topic} (3 partitions)`)
assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), true,
  'createTopics should report the topic as created')
step('creating it again must return false (kafkajs logs the TOPIC_ALREADY_EXISTS reply as an ERROR line)')
assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), false,
  'creating an existing topic should report false (TOPIC_ALREADY_EXISTS)')
const md = await admin.fetchTopicMetadata({ topics: [topic] })
assert.equal(md.topics.length, 1)
assert.deepEqual(md.topics[0].partitions.map(p => p.partitionId).sort(), [0, 1, 2])
for (const p of md.topics[0].partitions) assert.equal(p.partitionErrorCode, 0, `partition ${p.partitionId} has an error`)
assert.ok((await admin.listTopics()).includes(topic), 'listTopics should include the new topic')

// ---------------------------------------------------------------- data
// Every record carries a unique id ("<id>|...") so that it can be found again.
const sent = [] // { id, key: Buffer|null, value: Buffer|null, headers, partition (explicit or null), idempotent }
let nextId = 0
const rec = (key, body, extra = {}) => {
  const id = nextId++
  const value = body === null ? null : Buffer.concat([Buffer.from(`${id}|`), Buffer.from(body)])
  const m = { id, key: key === null ? null : Buffer.from(key), value, headers: extra.headers ?? {}, partition: extra.partition ?? null }
  sent.push(m)
  return m
}
const toKafkajs = m => ({
  key: m.key, value: m.value, headers: m.headers, ...(m.partition !== null ? { partition: m.partition } : {})
})

const batchPlain = []
for (let i = 0; i < 200; i++) batchPlain.push(rec(`key-${i % 13}`, `value ${i} ${'text '.repeat(i % 20)}`))
for (let i = 0; i < 20; i++) batchPlain.push(rec(randomBytes(16), randomBytes(50 * i))) // binary keys and values
batchPlain.push(rec('empty-value', '')) // value of length 0 (after the id prefix: see below)
batchPlain.push(rec(null, 'no key, explicit partition', { partition: 2 }))
batchPlain.push(rec('with-headers', 'h', { headers: { 'trace-id': Buffer.from('abc'), bin: randomBytes(8), empty: Buffer.alloc(0) } }))
for (let i = 0; i < 3; i++) batchPlain.push(rec(`big-${i}`, randomBytes(100 * 1024), { partition: i }))
// A truly empty value and a null value (tombstone): no id inside, so the key is the id.
const emptyExact = { id: nextId++, key: Buffer.from(`exact-empty-${t0}`), value: Buffer.alloc(0), headers: {}, partition: 0 }
const nullValue = { id: nextId++, key: Buffer.from(`null-value-${t0}`), value: null, headers: {}, partition: 1 }
sent.push(emptyExact, nullValue)
batchPlain.push(emptyExact, nullValue)

const batchGzip = []
for (let i = 0; i < 300; i++) batchGzip.push(rec(`gz-${i % 11}`, `gzip ${i} ${'compressible '.repeat(30)}`))
for (let i = 0; i < 3; i++) batchGzip.push(rec(`gz-explicit-${i}`, `to partition ${i}`, { partition: i }))
batchGzip.push(rec('gz-big', randomBytes(100 * 1024).toString('base64')))

const batchIdem = []
for (let i = 0; i < 150; i++) batchIdem.push(rec(`idem-${i % 7}`, `idempotent ${i}`))
for (const m of batchIdem) m.idempotent = true

// ---------------------------------------------------------------- produce
const partitionOf = Partitioners.DefaultPartitioner()
const partitionMetadata = md.topics[0].partitions

step(`producer: ${batchPlain.length} records, no compression, acks=-1`)
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false })
await producer.connect()
// In slices, so that several requests and batches go out.
for (let i = 0; i < batchPlain.length; i += 50) {
  const res = await producer.send({ topic, acks: -1, messages: batchPlain.slice(i, i + 50).map(toKafkajs) })
  for (const r of res) assert.equal(r.errorCode, 0, `produce error ${r.errorCode} on partition ${r.partition}`)
}
step(`producer: ${batchGzip.length} records, GZIP`)
for (let i = 0; i < batchGzip.length; i += 100) {
  const res = await producer.send({ topic, acks: -1, compression: CompressionTypes.GZIP, messages: batchGzip.slice(i, i + 100).map(toKafkajs) })
  for (const r of res) assert.equal(r.errorCode, 0)
}
await producer.disconnect()

step(`idempotent producer: ${batchIdem.length} records (maxInFlightRequests: 1)`)
// Unbounded retries (bounded in time) as kafkajs wants for idempotence.
const idem = kafka.producer({
  idempotent: true, maxInFlightRequests: 1, createPartitioner: Partitioners.DefaultPartitioner,
  retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 30000 }
})
await idem.connect()
for (let i = 0; i < batchIdem.length; i += 30) {
  const res = await idem.send({ topic, acks: -1, messages: batchIdem.slice(i, i + 30).map(toKafkajs) })
  for (const r of res) assert.equal(r.errorCode, 0)
}
await idem.disconnect()

// ---------------------------------------------------------------- offsets
const offsets = await admin.fetchTopicOffsets(topic)
const high = new Map(offsets.map(o => [o.partition, BigInt(o.high)]))
const total = [...high.values()].reduce((a, b) => a + b, 0n)
step(`end offsets ${JSON.stringify(offsets.map(o => [o.partition, o.low, o.high]))}`)
assert.equal(total, BigInt(sent.length), `the end offsets add up to ${total}, ${sent.length} records were sent`)
for (const o of offsets) assert.equal(o.low, '0')
const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, t0 - 60000)
for (const o of byTime) assert.equal(o.offset, '0', `offset for a time before everything, partition ${o.partition}`)

// ---------------------------------------------------------------- read back
// kafkajs keeps its Cluster factory behind a private symbol; the Consumer
// builds the same object, so this is kafkajs's own Fetch path minus groups.
step('reading back with kafkajs low-level Fetch (no consumer group)')
const createCluster = Object.getOwnPropertySymbols(kafka).find(s => s.description === 'private:Kafka:createCluster')
assert.ok(createCluster, 'kafkajs internals changed: no private:Kafka:createCluster symbol')
const cluster = kafka[createCluster]({ metadataMaxAge: 300000, allowAutoTopicCreation: false })
await cluster.connect()
await cluster.addTargetTopic(topic)
const got = new Map() // partition -> records in offset order
for (const pm of cluster.findTopicPartitionMetadata(topic)) {
  const p = pm.partitionId
  const broker = await cluster.findBroker({ nodeId: String(pm.leader) })
  const records = []
  let next = 0n
  for (let round = 0; next < high.get(p); round++) {
    assert.ok(round < 1000, `partition ${p}: no progress at offset ${next}`)
    const resp = await broker.fetch({
      replicaId: -1, isolationLevel: 1, maxWaitTime: 200, minBytes: 1, maxBytes: 4 << 20,
      topics: [{ topic, partitions: [{ partition: p, fetchOffset: String(next), maxBytes: 1 << 20 }] }]
    })
    const part = resp.responses[0].partitions[0]
    assert.equal(part.errorCode, 0, `fetch error ${part.errorCode} on partition ${p}`)
    assert.equal(BigInt(part.highWatermark), high.get(p))
    for (const m of part.messages) {
      const off = BigInt(m.offset)
      if (off < next) continue // a batch starts before the fetch offset
      assert.equal(off, next, `partition ${p}: offset ${off} after ${next - 1n}`)
      records.push(m)
      next = off + 1n
    }
  }
  got.set(p, records)
}
await cluster.disconnect()

// ---------------------------------------------------------------- compare
const idOf = m => (m.key && m.key.toString().startsWith('exact-empty-')) || (m.key && m.key.toString().startsWith('null-value-'))
  ? sent.find(s => s.key && s.key.equals(m.key)).id
  : Number(m.value.toString('latin1').split('|', 1)[0])
const seen = new Set()
const eqBuf = (a, b, what) => {
  if (a === null || b === null) assert.equal(a, b, `${what}: null mismatch`)
  else assert.ok(a.equals(b), `${what}: ${a.length} bytes back, ${b.length} sent, or different content`)
}
for (const [p, records] of got) {
  let lastId = -1
  for (const m of records) {
    const id = idOf(m)
    const s = sent[id]
    assert.ok(s && s.id === id, `partition ${p} offset ${m.offset}: unknown record`)
    assert.ok(!seen.has(id), `record ${id} read twice`)
    seen.add(id)
    assert.ok(id > lastId, `partition ${p}: record ${id} after ${lastId} (out of order)`)
    lastId = id
    eqBuf(m.key, s.key, `record ${id} key`)
    eqBuf(m.value, s.value, `record ${id} value`)
    assert.deepEqual(Object.keys(m.headers).sort(), Object.keys(s.headers).sort(), `record ${id} header keys`)
    for (const [k, v] of Object.entries(s.headers)) eqBuf(m.headers[k], v, `record ${id} header ${k}`)
    const want = s.partition ?? (s.key ? partitionOf({ topic, partitionMetadata, message: { key: s.key } }) : null)
    if (want !== null) assert.equal(p, want, `record ${id} (key ${s.key}) in partition ${p}, expected ${want}`)
    if (s.idempotent) {
      assert.ok(BigInt(m.batchContext.producerId) >= 0n, `idempotent record ${id} has producerId ${m.batchContext.producerId}`)
      assert.ok(m.batchContext.firstSequence >= 0, `idempotent record ${id} has no sequence`)
    } else {
      assert.equal(String(m.batchContext.producerId), '-1', `record ${id}: a plain producer's batch has a producer id`)
    }
  }
}
assert.equal(seen.size, sent.length, `${sent.length - seen.size} records not read back`)
step(`all ${sent.length} records read back byte for byte`)

// ---------------------------------------------------------------- on disk
// The GZIP batches must be stored compressed (the broker keeps what it gets).
if (process.env.SLUICE && process.env.SLUICE_DATA_DIR) {
  const codecs = new Set()
  for (const p of [0, 1, 2]) {
    const dir = `${process.env.SLUICE_DATA_DIR}/${topic}-${p}`
    for (const f of readdirSync(dir).filter(f => f.endsWith('.log'))) {
      const out = execFileSync(process.env.SLUICE, ['dump-log', `${dir}/${f}`, '--verify-index'], { encoding: 'utf8' })
      for (const m of out.matchAll(/compresscodec: (\w+)/g)) codecs.add(m[1])
    }
  }
  step(`codecs on disk: ${[...codecs].join(', ')}`)
  assert.ok(codecs.has('gzip'), 'no gzip batch on disk')
  assert.ok(codecs.has('none'), 'no uncompressed batch on disk')
}

// ---------------------------------------------------------------- more admin
step('createPartitions to 4, describeConfigs')
await admin.createPartitions({ topicPartitions: [{ topic, count: 4 }] })
const md4 = await admin.fetchTopicMetadata({ topics: [topic] })
assert.equal(md4.topics[0].partitions.length, 4, 'createPartitions did not take the topic to 4 partitions')
const cfg = await admin.describeConfigs({ resources: [{ type: 2 /* TOPIC */, name: topic }], includeSynonyms: false })
const entries = cfg.resources[0].configEntries
assert.equal(cfg.resources[0].errorCode, 0)
assert.ok(entries.some(e => e.configName === 'cleanup.policy' && e.configValue === 'delete'), 'describeConfigs: no cleanup.policy=delete')

step(`deleteTopics ${topic}`)
await admin.deleteTopics({ topics: [topic], timeout: 30000 })
const after = await admin.listTopics()
assert.ok(!after.includes(topic), `listTopics still shows ${topic} after deleteTopics: ${after}`)
await admin.disconnect()
step('PASS')
