import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import type { FaultEvent } from './chain.js'
import type { Netsim } from './netsim.js'
import {
  collect,
  connectTo,
  echoServer,
  pattern,
  proxyTo,
  sleep,
  sourceServer,
  tcpServer,
  within,
  withNetsim,
} from './test-helpers.js'

async function roundTrip(port: number, messages: string[]): Promise<number[]> {
  const c = await connectTo(port)
  const times: number[] = []
  for (const m of messages) {
    const t0 = performance.now()
    const got = once(c, 'data')
    c.write(m)
    await within(3000, got)
    times.push(performance.now() - t0)
  }
  c.destroy()
  return times
}

test('latency delays each direction by `latency` ms', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, echo.address)
    const [base] = await roundTrip(p.port, ['a'])
    p.addToxic({ type: 'latency', attributes: { latency: 100 } })
    const [down] = await roundTrip(p.port, ['a'])
    p.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 60 } })
    const [both] = await roundTrip(p.port, ['a'])
    // Lower bounds prove the delay; upper bounds only catch gross errors, with room for a busy machine's stalls.
    assert.ok(base! < 100, `no toxic: ${base} ms`)
    assert.ok(down! >= 100 && down! < 400, `downstream 100 ms: ${down} ms`)
    assert.ok(both! >= 160 && both! < 460, `both ways 160 ms: ${both} ms`)
  })
})

test('latency jitter is drawn from the seed: same seed, same delays', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const delays = (seed: number): Promise<{ drawn: number[]; measured: number[] }> =>
    withNetsim({ seed }, async (ns) => {
      // Fixed name: the proxy name is one of the labels the draws derive from.
      const p = await ns.createProxy({ name: 'jitter', upstream: echo.address })
      p.addToxic({ type: 'latency', attributes: { latency: 60, jitter: 50 } })
      const drawn: number[] = []
      ns.on('fault', (f) => drawn.push(f.detail!['ms'] as number))
      const measured = await roundTrip(p.port, ['1', '2', '3', '4', '5', '6'])
      return { drawn, measured }
    })
  const a = await delays(5)
  const b = await delays(5)
  const c = await delays(6)
  assert.equal(a.drawn.length, 6)
  assert.deepEqual(b.drawn, a.drawn)
  assert.notDeepEqual(c.drawn, a.drawn)
  assert.ok(new Set(a.drawn).size > 1, 'jitter varies the delay')
  for (let i = 0; i < 6; i++) {
    assert.ok(a.drawn[i]! >= 10 && a.drawn[i]! <= 110)
    assert.ok(
      a.measured[i]! >= a.drawn[i]! - 1 && a.measured[i]! < a.drawn[i]! + 300,
      `measured ${a.measured[i]} vs drawn ${a.drawn[i]}`,
    )
  }
})

test('slow_close holds the FIN back by `delay` ms but not the data', async (t) => {
  const src = await sourceServer(100)
  t.after(() => src.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, src.address)
    p.addToxic({ type: 'slow_close', attributes: { delay: 300 } })
    const c = await connectTo(p.port)
    const t0 = performance.now()
    const r = await within(3000, collect(c))
    assert.equal(r.data.length, 100)
    assert.ok(r.first - t0 < 250, `data after ${r.first - t0} ms`)
    assert.ok(r.endedAt - r.last >= 290, `FIN ${r.endedAt - r.last} ms after the data`)
    assert.equal(r.how, 'end')
  })
})

test('timeout drops data and closes after `timeout` ms; timeout 0 keeps the connection open and silent', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, echo.address)
    p.addToxic({ type: 'timeout', attributes: { timeout: 300 } })
    const c = await connectTo(p.port)
    const t0 = performance.now()
    const r = collect(c)
    c.write('ping')
    const got = await within(3000, r)
    assert.equal(got.data.length, 0)
    const dt = got.endedAt - t0
    assert.ok(dt >= 290 && dt < 1500, `closed after ${dt} ms`)

    p.updateToxic('timeout_downstream', { attributes: { timeout: 0 } })
    const c2 = await connectTo(p.port)
    let received = ''
    let closed = false
    c2.on('data', (d) => {
      received += d
    })
    c2.on('close', () => {
      closed = true
    })
    c2.write('lost')
    await sleep(400)
    assert.equal(received, '')
    assert.equal(closed, false)
    p.removeToxic('timeout_downstream')
    const back = once(c2, 'data')
    c2.write('back')
    await within(2000, back)
    assert.equal(received, 'back', 'data sent while the toxic was on is gone; data after it flows')
    c2.destroy()
  })
})

test('reset_peer resets the connection `timeout` ms after the first data', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, echo.address)
    p.addToxic({ type: 'reset_peer', stream: 'upstream', attributes: { timeout: 200 } })
    const c = await connectTo(p.port)
    const r = collect(c)
    const t0 = performance.now()
    c.write('x')
    const got = await within(3000, r)
    assert.equal(got.error?.code, 'ECONNRESET')
    assert.equal(got.data.length, 0)
    assert.ok(got.endedAt - t0 >= 190, `reset after ${got.endedAt - t0} ms`)
  })
})

test('slicer splits data into seeded sizes around average_size, delay µs apart', async (t) => {
  const src = await sourceServer(3000)
  t.after(() => src.close())
  const run = (seed: number): Promise<{ sizes: number[]; chunks: number; ms: number }> =>
    withNetsim({ seed }, async (ns) => {
      const p = await ns.createProxy({ name: 'slicer', upstream: src.address })
      p.addToxic({ type: 'slicer', attributes: { average_size: 100, size_variation: 40, delay: 10_000 } })
      const sizes: number[] = []
      ns.on('fault', (f) => sizes.push(f.detail!['bytes'] as number))
      const t0 = performance.now()
      const c = await connectTo(p.port)
      const r = await within(5000, collect(c))
      assert.deepEqual(r.data, pattern(3000))
      return { sizes, chunks: r.chunks, ms: r.last - t0 }
    })
  const a = await run(1)
  assert.ok(a.sizes.every((s) => s >= 60 && s <= 140))
  assert.ok(a.sizes.reduce((x, y) => x + y, 0) >= 3000)
  // About 30 slices 10 ms apart; a stalled client may read several at once, but not all.
  assert.ok(a.chunks >= 5, `${a.chunks} reads at the client, expected many small ones`)
  assert.ok(a.ms >= 10 * (a.sizes.length - 1) - 2, `last slice after ${a.ms} ms`)
  assert.deepEqual((await run(1)).sizes, a.sizes)
  assert.notDeepEqual((await run(2)).sizes, a.sizes)
})

test('limit_data forwards exactly `bytes` bytes, then closes', async (t) => {
  const src = await sourceServer(5000)
  t.after(() => src.close())
  const received: number[] = []
  const sink = await tcpServer((s) => {
    let n = 0
    s.on('data', (d: Buffer) => {
      n += d.length
    })
    s.on('end', () => received.push(n))
  })
  t.after(() => sink.close())
  await withNetsim({ seed: 1 }, async (ns: Netsim) => {
    const down = await proxyTo(ns, src.address)
    down.addToxic({ type: 'limit_data', attributes: { bytes: 1234 } })
    const r = await within(3000, collect(await connectTo(down.port)))
    assert.deepEqual(r.data, pattern(1234))

    const up = await proxyTo(ns, sink.address)
    up.addToxic({ type: 'limit_data', stream: 'upstream', attributes: { bytes: 777 } })
    const c = await connectTo(up.port)
    const closed = collect(c)
    c.write(pattern(3000))
    await within(3000, closed)
    await sleep(50)
    assert.deepEqual(received, [777], 'the server got the first 777 bytes, then FIN')
  })
})

test('a toxic on one stream leaves the other alone', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await proxyTo(ns, echo.address)
    const faults: FaultEvent[] = []
    ns.on('fault', (f) => faults.push(f))
    p.addToxic({ type: 'latency', stream: 'upstream', attributes: { latency: 80 } })
    const [t] = await roundTrip(p.port, ['x'])
    assert.ok(t! >= 80 && t! < 380, `${t} ms`)
    assert.deepEqual(
      faults.map((f) => [f.stream, f.fault]),
      [['upstream', 'delay']],
    )
  })
})
