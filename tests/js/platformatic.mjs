// platformatic.mjs — Sluice against @platformatic/kafka (run by
// tests/integration/platformatic.sh).
//
// Admin: create a 3-partition topic, metadata, add a partition, describe its
// configs, delete it, list topics. Producers: plain and idempotent, with every
// codec the library has (none, gzip, snappy, lz4; zstd only where Node.js has
// zlib zstd — not Node 20 — else it says it skipped it); keyed, explicitly
// partitioned, binary, empty, null and 100 KB values, headers. Read back:
// the library's Consumer.consume() needs a consumer group, which Sluice does
// not have yet, but Consumer.fetch() and Consumer.listOffsets() work without
// one, so the records are read with those and compared byte for byte.
//
// Env: SLUICE_BOOTSTRAP=host:port (required); SLUICE and SLUICE_DATA_DIR to
// check the codec of the stored batches with `sluice dump-log`.
import { Admin, Consumer, Producer, CompressionAlgorithms, ConfigResourceTypes } from '@platformatic/kafka'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readdirSync } from 'node:fs'
import zlib from 'node:zlib'
import assert from 'node:assert/strict'

const bootstrap = process.env.SLUICE_BOOTSTRAP
if (!bootstrap) throw new Error('SLUICE_BOOTSTRAP is not set')
const t0 = Date.now()
const step = msg => console.log(`[platformatic.mjs ${String(Date.now() - t0).padStart(6)} ms] ${msg}`)
const base = { bootstrapBrokers: [bootstrap], timeout: 30000, retries: 8, retryDelay: 200 }

const topic = `platformatic-${process.pid}-${t0}`
const admin = new Admin({ ...base, clientId: 'sluice-platformatic-admin' })

// ---------------------------------------------------------------- admin
step(`createTopics ${topic} (3 partitions)`)
const created = await admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 })
assert.equal(created.length, 1)
assert.equal(created[0].name, topic)
assert.equal(created[0].partitions, 3)
await assert.rejects(admin.createTopics({ topics: [topic], partitions: 3, replicas: 1 }),
  err => /already exists|TOPIC_ALREADY_EXISTS/i.test(JSON.stringify(err, Object.getOwnPropertyNames(err)) + err.message + (err.errors ?? []).map(e => e.message).join()),
  'creating an existing topic should fail with TOPIC_ALREADY_EXISTS')
let md = await admin.metadata({ topics: [topic], forceUpdate: true })
assert.equal(md.topics.get(topic).partitionsCount, 3)
const leaders = md.topics.get(topic).partitions.map(p => p.leader)
for (const l of leaders) assert.ok(md.brokers.has(l), `partition leader ${l} is not a known broker`)
assert.ok((await admin.listTopics()).includes(topic), 'listTopics should include the new topic')

// ---------------------------------------------------------------- data
const codecs = ['none', 'gzip', 'snappy', 'lz4']
if (typeof zlib.zstdCompressSync === 'function') codecs.push('zstd')
else step(`zstd skipped: Node.js ${process.version} has no zlib zstd, which @platformatic/kafka needs for it`)
assert.deepEqual(codecs.filter(c => !Object.values(CompressionAlgorithms).includes(c)), [])

const sent = [] // { id, key, value, headers: [[k, v]], partition (explicit or null), idempotent }
let nextId = 0
const rec = (key, body, extra = {}) => {
  const id = nextId++
  const m = {
    id,
    key: key === null ? null : Buffer.from(key),
    value: body === null ? null : Buffer.concat([Buffer.from(`${id}|`), Buffer.from(body)]),
    headers: extra.headers ?? [],
    partition: extra.partition ?? null,
    idempotent: !!extra.idempotent
  }
  sent.push(m)
  return m
}
const toMessage = m => ({
  topic,
  ...(m.key !== null ? { key: m.key } : {}),
  ...(m.value !== null ? { value: m.value } : {}),
  ...(m.headers.length ? { headers: new Map(m.headers) } : {}),
  ...(m.partition !== null ? { partition: m.partition } : {})
})
const makeBatch = (tag, idempotent) => {
  const b = []
  for (let i = 0; i < 120; i++) b.push(rec(`${tag}-key-${i % 9}`, `${tag} value ${i} ${'compressible '.repeat(i % 25)}`, { idempotent }))
  for (let i = 0; i < 10; i++) b.push(rec(randomBytes(12), randomBytes(40 * i + 1), { idempotent, partition: i % 3 }))
  b.push(rec(`${tag}-empty-body`, '', { idempotent, partition: 0 }))
  b.push(rec(`${tag}-headers`, 'h', { idempotent, partition: 1, headers: [[Buffer.from('trace-id'), Buffer.from(tag)], [Buffer.from('bin'), randomBytes(6)]] }))
  b.push(rec(`${tag}-big`, randomBytes(100 * 1024).toString('base64'), { idempotent, partition: 2 }))
  return b
}
// Exactly empty and null values (no id prefix: the key is unique instead).
const special = [
  { id: nextId++, key: Buffer.from(`exact-empty-${t0}`), value: Buffer.alloc(0), headers: [], partition: 0, idempotent: false },
  { id: nextId++, key: Buffer.from(`null-value-${t0}`), value: null, headers: [], partition: 1, idempotent: false }
]
sent.push(...special)

// ---------------------------------------------------------------- produce
const producer = new Producer({ ...base, clientId: 'sluice-platformatic-producer', autocreateTopics: false })
for (const compression of codecs) {
  const batch = makeBatch(`plain-${compression}`, false)
  step(`producer: ${batch.length} records, compression ${compression}, acks=-1`)
  for (let i = 0; i < batch.length; i += 40) {
    const res = await producer.send({ messages: batch.slice(i, i + 40).map(toMessage), compression, acks: -1 })
    assert.ok(res.offsets && res.offsets.length > 0, 'send returned no offsets')
  }
}
await producer.send({ messages: special.map(toMessage), acks: -1 })
await producer.close()

const idem = new Producer({ ...base, clientId: 'sluice-platformatic-idempotent', idempotent: true, autocreateTopics: false })
for (const compression of ['none', 'gzip']) {
  const batch = makeBatch(`idem-${compression}`, true)
  step(`idempotent producer: ${batch.length} records, compression ${compression}`)
  for (let i = 0; i < batch.length; i += 40) {
    await idem.send({ messages: batch.slice(i, i + 40).map(toMessage), compression, acks: -1 })
  }
}
const pid = idem.producerId
step(`idempotent producer id ${pid}, epoch ${idem.producerEpoch}`)
assert.ok(typeof pid === 'bigint' && pid >= 0n, `no producer id after InitProducerId: ${pid}`)
await idem.close()

// ---------------------------------------------------------------- read back
step('reading back with Consumer.listOffsets and Consumer.fetch (no consumer group)')
// groupId is mandatory in the options, but nothing here joins the group.
const consumer = new Consumer({ ...base, clientId: 'sluice-platformatic-consumer', groupId: `unused-${t0}` })
const ends = (await consumer.listOffsets({ topics: [topic] })).get(topic)
const starts = (await consumer.listOffsets({ topics: [topic], timestamp: -2n })).get(topic)
step(`offsets: start ${starts}, end ${ends}`)
assert.deepEqual(starts, [0n, 0n, 0n])
assert.equal(ends.reduce((a, b) => a + b, 0n), BigInt(sent.length), `end offsets ${ends} do not add up to ${sent.length}`)

md = await admin.metadata({ topics: [topic], forceUpdate: true })
const got = new Map()
for (let p = 0; p < 3; p++) {
  const records = []
  let next = 0n
  for (let round = 0; next < ends[p]; round++) {
    assert.ok(round < 1000, `partition ${p}: no progress at offset ${next}`)
    const res = await consumer.fetch({
      node: md.topics.get(topic).partitions[p].leader,
      maxWaitTime: 200, minBytes: 1, maxBytes: 4 << 20,
      topics: [{ topicId: topic, partitions: [{ partition: p, currentLeaderEpoch: -1, fetchOffset: next, lastFetchedEpoch: -1, partitionMaxBytes: 1 << 20 }] }]
    })
    const part = res.responses[0].partitions[0]
    assert.equal(part.errorCode, 0, `fetch error ${part.errorCode} on partition ${p}`)
    assert.equal(part.highWatermark, ends[p])
    for (const batch of part.records ?? []) {
      for (const r of batch.records) {
        const off = batch.firstOffset + BigInt(r.offsetDelta)
        if (off < next) continue
        assert.equal(off, next, `partition ${p}: offset ${off} after ${next - 1n}`)
        records.push({ ...r, offset: off, producerId: batch.producerId, firstSequence: batch.firstSequence, codec: batch.attributes & 7 })
        next = off + 1n
      }
    }
  }
  got.set(p, records)
}
await consumer.close()

// ---------------------------------------------------------------- compare
const byKey = new Map(special.map(s => [s.key.toString('latin1'), s]))
const seen = new Set()
const keyPartition = new Map()
const eqBuf = (a, b, what) => {
  if (a === null || b === null) assert.equal(a, b, `${what}: null mismatch`)
  else assert.ok(a.equals(b), `${what}: ${a.length} bytes back, ${b.length} sent, or different content`)
}
for (const [p, records] of got) {
  let lastId = -1
  for (const r of records) {
    const s = (r.key && byKey.get(r.key.toString('latin1'))) ?? sent[Number(r.value.toString('latin1').split('|', 1)[0])]
    assert.ok(s, `partition ${p} offset ${r.offset}: unknown record`)
    assert.ok(!seen.has(s.id), `record ${s.id} read twice`)
    seen.add(s.id)
    if (!byKey.has(s.key?.toString('latin1'))) {
      assert.ok(s.id > lastId, `partition ${p}: record ${s.id} after ${lastId} (out of order)`)
      lastId = s.id
    }
    // The library gives a missing key/value as null or an empty buffer.
    eqBuf(r.key?.length ? r.key : null, s.key?.length ? s.key : null, `record ${s.id} key`)
    eqBuf(r.value ?? null, s.value, `record ${s.id} value`)
    assert.equal(r.headers.length, s.headers.length, `record ${s.id}: header count`)
    s.headers.forEach(([k, v], i) => { eqBuf(r.headers[i][0], k, `record ${s.id} header key`); eqBuf(r.headers[i][1], v, `record ${s.id} header value`) })
    if (s.partition !== null) assert.equal(p, s.partition, `record ${s.id} in partition ${p}, sent to ${s.partition}`)
    else if (s.key) {
      const k = s.key.toString('latin1')
      if (!keyPartition.has(k)) keyPartition.set(k, p)
      assert.equal(p, keyPartition.get(k), `key ${k} in partitions ${keyPartition.get(k)} and ${p}`)
    }
    if (s.idempotent) {
      assert.equal(r.producerId, pid, `idempotent record ${s.id}: producer id ${r.producerId}, expected ${pid}`)
      assert.ok(r.firstSequence >= 0, `idempotent record ${s.id}: no sequence`)
    } else assert.equal(r.producerId, -1n, `record ${s.id}: a plain producer's batch has producer id ${r.producerId}`)
  }
}
assert.equal(seen.size, sent.length, `${sent.length - seen.size} records not read back`)
step(`all ${sent.length} records read back byte for byte`)

// ---------------------------------------------------------------- on disk
if (process.env.SLUICE && process.env.SLUICE_DATA_DIR) {
  const onDisk = new Set()
  for (const p of [0, 1, 2]) {
    const dir = `${process.env.SLUICE_DATA_DIR}/${topic}-${p}`
    for (const f of readdirSync(dir).filter(f => f.endsWith('.log'))) {
      const out = execFileSync(process.env.SLUICE, ['dump-log', `${dir}/${f}`, '--verify-index'], { encoding: 'utf8' })
      for (const m of out.matchAll(/compresscodec: (\w+)/g)) onDisk.add(m[1])
    }
  }
  step(`codecs on disk: ${[...onDisk].join(', ')}`)
  for (const c of codecs) assert.ok(onDisk.has(c), `no ${c} batch on disk`)
}

// ---------------------------------------------------------------- more admin
step('createPartitions to 4, describeConfigs')
await admin.createPartitions({ topics: [{ name: topic, count: 4 }] })
md = await admin.metadata({ topics: [topic], forceUpdate: true })
assert.equal(md.topics.get(topic).partitionsCount, 4, 'createPartitions did not take the topic to 4 partitions')
const cfg = await admin.describeConfigs({ resources: [{ resourceType: ConfigResourceTypes.TOPIC, resourceName: topic }] })
assert.ok(cfg[0].configs.some(c => c.name === 'cleanup.policy' && c.value === 'delete'),
  `describeConfigs: no cleanup.policy=delete in ${JSON.stringify(cfg[0].configs.slice(0, 5))}`)

step(`deleteTopics ${topic}`)
await admin.deleteTopics({ topics: [topic] })
const after = await admin.listTopics()
assert.ok(!after.includes(topic), `listTopics still shows ${topic} after deleteTopics`)
await admin.close()
step('PASS')
