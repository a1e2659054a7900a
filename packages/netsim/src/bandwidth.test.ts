/**
 * Bandwidth accuracy, measured at the receiver. The sending server and the receiving clients run in a worker thread,
 * apart from the proxy: on a busy 2-core machine one thread doing all three gets too little CPU to move 100 MB/s,
 * which would measure the machine rather than the limiter.
 */
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { type TestContext, test } from 'node:test'
import { Worker } from 'node:worker_threads'
import { within, withNetsim } from './test-helpers.js'
import type { ToxicInput } from './toxic-spec.js'

interface Received {
  bytes: number
  /** performance.now() in the worker: when it started connecting, and when the last byte arrived. */
  start: number
  last: number
}

// CommonJS, run with eval: a server sending `total` bytes per connection, and `connections` clients reading them.
const endpoints = `
const { parentPort, workerData } = require('node:worker_threads')
const net = require('node:net')
const { total, connections } = workerData
const block = Buffer.alloc(64 * 1024, 7)
const server = net.createServer((s) => {
  let sent = 0
  const pump = () => {
    while (sent < total) {
      const n = Math.min(block.length, total - sent)
      sent += n
      if (!s.write(n === block.length ? block : block.subarray(0, n))) return void s.once('drain', pump)
    }
    s.end()
  }
  s.on('error', () => {})
  pump()
})
server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }))
parentPort.once('message', ({ port }) => {
  const start = performance.now()
  const results = []
  for (let i = 0; i < connections; i++) {
    const r = { bytes: 0, last: 0, start }
    const c = net.connect(port, '127.0.0.1')
    c.on('data', (d) => {
      r.bytes += d.length
      r.last = performance.now()
    })
    c.on('close', () => {
      results.push(r)
      if (results.length === connections) server.close(() => parentPort.postMessage({ results }))
    })
  }
})
`

async function transfer(toxic: ToxicInput, total: number, connections: number): Promise<Received[]> {
  const worker = new Worker(endpoints, { eval: true, workerData: { total, connections } })
  try {
    const [{ port }] = (await once(worker, 'message')) as [{ port: number }]
    return await withNetsim({ seed: 1 }, async (ns) => {
      const p = await ns.createProxy({ name: 'bw', upstream: `127.0.0.1:${port}` })
      p.addToxic(toxic)
      worker.postMessage({ port: p.port })
      const [{ results }] = (await within(20_000, once(worker, 'message'))) as [{ results: Received[] }]
      return results
    })
  } finally {
    await worker.terminate()
  }
}

/**
 * A limiter can only be caught out by a rate above its setting; a rate below it can also mean this process was not
 * scheduled (other test files share the 2 cores). So a result more than 10% high fails at once, and one more than
 * 10% low is measured once more before it fails. Every attempt is printed.
 */
async function measure(t: TestContext, rateKBs: number, seconds: number): Promise<void> {
  const total = Math.round(rateKBs * 1000 * seconds)
  const expected = rateKBs * 1000
  let error = 0
  for (let attempt = 1; attempt <= 2; attempt++) {
    const [r] = await transfer({ type: 'bandwidth', attributes: { rate: rateKBs } }, total, 1)
    assert.equal(r!.bytes, total)
    // From the moment the client starts connecting: the window holds the whole paced transfer, so a stall anywhere
    // can only make it look slower, and "too fast" means the limiter let too much through.
    const measured = r!.bytes / ((r!.last - r!.start) / 1000)
    error = measured / expected - 1
    t.diagnostic(
      `bandwidth ${rateKBs / 1000} MB/s: measured ${(measured / 1e6).toFixed(3)} MB/s (${(error * 100).toFixed(2)}%) over ${total} bytes${attempt > 1 ? ' (second attempt)' : ''}`,
    )
    assert.ok(error <= 0.1, `measured ${measured} B/s for ${expected} B/s: ${(error * 100).toFixed(1)}% too fast`)
    if (error >= -0.1) return
  }
  assert.fail(`measured ${(error * 100).toFixed(1)}% below ${expected} B/s twice`)
}

test('bandwidth limits a connection to 1 MB/s within 10%', (t) => measure(t, 1000, 1.5))
test('bandwidth limits a connection to 10 MB/s within 10%', (t) => measure(t, 10_000, 1.2))
test('bandwidth limits a connection to 100 MB/s within 10%', (t) => measure(t, 100_000, 1.2))

test('shared_bandwidth holds every connection of a proxy to one 10 MB/s budget', async (t) => {
  const each = 6_000_000
  const results = await transfer({ type: 'shared_bandwidth', attributes: { rate: 10_000 } }, each, 2)
  for (const r of results) assert.equal(r.bytes, each)
  const end = Math.max(...results.map((r) => r.last))
  const aggregate = (2 * each) / ((end - results[0]!.start) / 1000)
  const error = aggregate / 10_000_000 - 1
  // Both finish near the end: the budget is split between them, not served one after the other.
  const spread = Math.abs(results[0]!.last - results[1]!.last)
  t.diagnostic(
    `shared 10 MB/s over 2 connections: aggregate ${(aggregate / 1e6).toFixed(3)} MB/s (${(error * 100).toFixed(2)}%), finish spread ${spread.toFixed(0)} ms`,
  )
  assert.ok(Math.abs(error) <= 0.1, `aggregate ${aggregate} B/s: ${(error * 100).toFixed(1)}% off 10 MB/s`)
  assert.ok(spread < 150, `connections finished ${spread} ms apart`)
})
