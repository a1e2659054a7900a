/** Which protocols a run tests: tus detection from OPTIONS, `protocols`, and checks of unadvertised extensions. */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { type Fields, type ProtocolCodec, type Reply, type ResponseContext, TusV1 } from '@rufh/protocol'
import { startServer } from '@rufh/server'
import { tusChecks } from '../registry.js'
import { protocolsOf, runConformance } from '../runner.js'
import { ConformanceError } from '../types.js'
import { startFront } from './mutants/front.js'

/** A tus server that implements every extension but advertises only creation. */
class CreationOnly extends TusV1 {
  override discovery(ctx: ResponseContext): Reply {
    const r = super.discovery(ctx)
    const headers: Fields = { ...r.headers, 'tus-extension': 'creation' }
    delete headers['tus-checksum-algorithm']
    return { ...r, headers }
  }
}

async function serve(tus: boolean | ProtocolCodec) {
  const dir = mkdtempSync(join(tmpdir(), 'rufh-conformance-'))
  const limits = { maxSize: 1 << 20 }
  const server = await startServer({ host: '127.0.0.1', port: 0, directory: dir, expiryIntervalMs: 0, limits, tus })
  return {
    url: server.url,
    async close() {
      await server.close(100)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

test('protocols: both by default; --interop/--draft mean IETF; --only picks the protocols it names', () => {
  assert.deepEqual(protocolsOf({}), ['ietf', 'tus'])
  assert.deepEqual(protocolsOf({ interop: [9] }), ['ietf'])
  assert.deepEqual(protocolsOf({ drafts: ['-05'] }), ['ietf'])
  assert.deepEqual(protocolsOf({ protocols: ['ietf', 'tus'], interop: [9] }), ['ietf', 'tus'])
  assert.deepEqual(protocolsOf({ only: ['T-04'] }), ['tus'])
  assert.deepEqual(protocolsOf({ only: ['B-01', 'T-04'] }), ['ietf', 'tus'])
  assert.deepEqual(protocolsOf({ only: ['B-01'] }), ['ietf'])
  assert.throws(() => protocolsOf({ protocols: ['tus'], interop: [9] }), ConformanceError)
})

test('a server without tus: detection says so; asking for tus alone is an error', async () => {
  const s = await serve(false)
  try {
    const r = await runConformance({ url: s.url, only: ['B-01', 'T-01'] })
    const tus = r.detection.find((d) => d.protocol === 'tus')
    assert.equal(tus?.supported, false)
    assert.match(tus?.detail ?? '', /no Tus-Version/)
    assert.deepEqual(
      r.versions.map((v) => v.protocol),
      Array(8).fill('ietf'),
    )
    await assert.rejects(
      runConformance({ url: s.url, protocols: ['tus'] }),
      /not a resumable-upload endpoint of tus 1\.0\.0: OPTIONS has no Tus-Version/,
    )
  } finally {
    await s.close()
  }
})

test('a server that speaks only tus (every draft request refused) is tested as tus alone', async () => {
  const s = await serve(true)
  const front = await startFront(s.url, {
    request: (h) =>
      h.headers.some(([k]) => k.toLowerCase() === 'upload-draft-interop-version')
        ? { reply: 'HTTP/1.1 412 Precondition Failed\r\nTus-Version: 1.0.0\r\nContent-Length: 0\r\n\r\n' }
        : h,
  })
  try {
    const r = await runConformance({ url: front.url, only: ['B-01', 'T-04'] })
    assert.equal(r.detection.filter((d) => d.supported).length, 1)
    assert.deepEqual(
      r.versions.map((v) => [v.protocol, v.results.map((x) => `${x.id} ${x.status}`)]),
      [['tus', ['T-04 pass']]],
    )
    await assert.rejects(runConformance({ url: front.url, protocols: ['ietf'] }), /no interop version/)
  } finally {
    await front.close()
    await s.close()
  }
})

test('checks of extensions the server does not advertise are not applicable, not failed', async () => {
  const s = await serve(new CreationOnly())
  try {
    const r = await runConformance({ url: s.url, protocols: ['tus'] })
    const v = r.versions[0]!
    assert.equal(v.protocol, 'tus')
    assert.deepEqual(v.extensions, ['creation'])
    assert.equal(v.results.length, tusChecks.length)
    for (const res of v.results) {
      const check = tusChecks.find((c) => c.id === res.id)!
      const applies = check.needs.every((e) => e === 'creation')
      if (applies) assert.equal(res.status, 'pass', `${res.id}: ${res.message}`)
      else {
        assert.equal(res.status, 'skip', res.id)
        assert.match(res.message ?? '', /^not applicable: Tus-Extension does not advertise /)
        assert.equal(res.requests, 0)
      }
    }
    assert.equal(r.totals.failed + r.totals.error, 0)
  } finally {
    await s.close()
  }
})
