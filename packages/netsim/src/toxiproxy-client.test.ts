/** The unmodified npm toxiproxy client, driving netsim's control API as it would drive toxiproxy. */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { type ICreateToxicBody, type Latency, Toxiproxy, ToxiproxyError } from 'toxiproxy-node-client'
import { type ApiServer, startApi } from './api.js'
import { Netsim } from './netsim.js'
import { collect, connectTo, echoServer, sourceServer, type TcpServer, within } from './test-helpers.js'

let ns: Netsim
let api: ApiServer
let echo: TcpServer
let source: TcpServer
let client: Toxiproxy

before(async () => {
  echo = await echoServer()
  source = await sourceServer(10_000)
  ns = new Netsim({ seed: 9 })
  api = await startApi(ns, '127.0.0.1:0')
  client = new Toxiproxy(api.url)
})
after(async () => {
  await api.close()
  await ns.close()
  await echo.close()
  await source.close()
})

test('toxiproxy-node-client creates, lists, updates and removes proxies', async () => {
  const proxy = await client.createProxy({ name: 'tpc1', listen: 'localhost:0', upstream: echo.address })
  assert.equal(proxy.name, 'tpc1')
  assert.match(proxy.listen, /^127\.0\.0\.1:\d+$/)
  assert.equal(proxy.enabled, true)
  await assert.rejects(
    client.createProxy({ name: 'tpc1', listen: '127.0.0.1:0', upstream: echo.address }),
    ToxiproxyError,
  )

  const all = await client.getAll()
  assert.ok(all['tpc1'])
  assert.equal((await client.get('tpc1')).upstream, echo.address)

  const disabled = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream })
  assert.equal(disabled.enabled, false)
  await proxy.remove()
  await assert.rejects(client.get('tpc1'), /404/)
  assert.match(await client.getVersion(), /"version"/)
})

test('toxiproxy-node-client adds toxics that take effect, reads, updates and removes them', async () => {
  const proxy = await client.createProxy({ name: 'tpc2', listen: '127.0.0.1:0', upstream: echo.address })
  const port = Number(proxy.listen.split(':')[1])
  const body: ICreateToxicBody<Latency> = {
    name: 'slow',
    type: 'latency',
    stream: 'downstream',
    toxicity: 1,
    attributes: { latency: 150, jitter: 0 },
  }
  const toxic = await proxy.addToxic(body)
  assert.equal(toxic.name, 'slow')
  assert.deepEqual(toxic.attributes, { latency: 150, jitter: 0 })

  const c = await connectTo(port)
  const r = collect(c)
  const t0 = performance.now()
  c.end('ping')
  const got = await within(3000, r)
  assert.equal(got.data.toString(), 'ping')
  assert.ok(got.first - t0 >= 150, `echo after ${got.first - t0} ms, expected >= 150`)

  const fetched = await proxy.getToxic('slow')
  assert.equal(fetched.type, 'latency')
  const updated = await toxic.update({ ...body, attributes: { latency: 10, jitter: 0 } })
  assert.deepEqual(updated.attributes, { latency: 10, jitter: 0 })
  await toxic.remove()
  await assert.rejects(proxy.getToxic('slow'), ToxiproxyError)
})

test('toxiproxy-node-client populate and reset', async () => {
  const proxies = await client.populate([{ name: 'tpc3', listen: '127.0.0.1:0', upstream: source.address }])
  const proxy = proxies['tpc3']!
  await proxy.addToxic({
    name: 'cap',
    type: 'limit_data',
    stream: 'downstream',
    toxicity: 1,
    attributes: { bytes: 100 },
  } as ICreateToxicBody<{ bytes: number }>)
  const port = Number(proxy.listen.split(':')[1])
  assert.equal((await within(3000, collect(await connectTo(port)))).data.length, 100)
  await client.reset()
  assert.equal((await within(3000, collect(await connectTo(port)))).data.length, 10_000)
})
