/**
 * Two `rufh gateway` processes (real OS processes, spawned from the built CLI) on one folder with `--redis` on a
 * real redis-server act as one: create and cut through one, resume and complete through the other; a final
 * response lost on one is recovered from the other; the backend sees exactly one request per upload.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { type ChildGateway, spawnGateway } from './child.js'
import { type Backend, startBackend } from './kit.js'
import { lostAnswerAcross, resumeAcross } from './two-processes.js'

const kit = new URL('../../../server/dist/test/kit/redis.js', import.meta.url).href
const { startRedis } = (await import(kit)) as { startRedis(): Promise<{ url: string; stop(): Promise<void> }> }

let redis: { url: string; stop(): Promise<void> }
let backend: Backend
let dir: string
const nodes: ChildGateway[] = []

before(async () => {
  redis = await startRedis()
  backend = await startBackend()
  dir = await mkdtemp(join(tmpdir(), 'rufh-gw-procs-'))
  for (let i = 0; i < 2; i++)
    nodes.push(await spawnGateway(['--backend', backend.url, '--dir', dir, '--redis', redis.url]))
})
after(async () => {
  for (const n of nodes) await n.kill9()
  await backend.close()
  await redis.stop()
  await rm(dir, { recursive: true, force: true })
})

test('two processes, one folder: created and cut on one, resumed and completed on the other', {
  timeout: 60_000,
}, async () => {
  await resumeAcross(nodes[0]!.url, nodes[1]!.url, backend)
})

test('two processes, one folder: a final response lost on one is recovered from the other', {
  timeout: 60_000,
}, async () => {
  await lostAnswerAcross(nodes[0]!.url, nodes[1]!.url, backend)
})
