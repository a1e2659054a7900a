/**
 * Each fuzz oracle can fail: the same seeded fuzz run against deliberately broken servers (as the conformance
 * tester's mutants do) must report the oracle the break violates, and against the unbroken server nothing.
 */
import assert from 'node:assert/strict'
import { writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { type RunningServer, startServer } from '../adapters/listen.js'
import { DiskStore } from '../stores/disk-store.js'
import type { NewUpload, UploadInfo } from '../stores/store.js'
import { fuzz, type Oracle } from './kit/fuzz/run.js'
import { send } from './kit/index.js'

const LIMIT_MS = 120_000
const SEED = 5
const MiB = 2 ** 20

interface Mutant {
  name: string
  breaks: Oracle | undefined
  store?: (dir: string, root: string, server: () => RunningServer | undefined) => DiskStore
  /** Patches something process-wide for the run; returns the undo. */
  patch?: () => () => void
}

const mutants: Mutant[] = [
  { name: 'the real server', breaks: undefined },
  {
    name: 'a store that throws plain errors on some reads',
    breaks: '5xx',
    store: (directory) => {
      let n = 0
      return new (class extends DiskStore {
        override async get(id: string): Promise<UploadInfo> {
          if (++n > 20 && n % 7 === 0) throw new Error('mutant: boom')
          return super.get(id)
        }
      })({ directory })
    },
  },
  {
    name: 'errors sent as text/plain',
    breaks: 'problem',
    patch: () => {
      const writeHead = ServerResponse.prototype.writeHead
      ServerResponse.prototype.writeHead = function (this: ServerResponse, status: number, ...rest: unknown[]) {
        const fields = rest.find((x): x is Record<string, string> => typeof x === 'object' && x !== null)
        if (status === 404 && fields) fields['content-type'] = 'text/plain'
        return (writeHead as (...a: unknown[]) => ServerResponse).call(this, status, ...rest)
      } as typeof writeHead
      return () => {
        ServerResponse.prototype.writeHead = writeHead
      }
    },
  },
  {
    name: 'a store that writes next to its folder',
    breaks: 'outside-store',
    store: (directory, root) =>
      new (class extends DiskStore {
        override async create(init: NewUpload): Promise<UploadInfo> {
          writeFileSync(join(root, `escaped-${init.id}`), 'x')
          return super.create(init)
        }
      })({ directory }),
  },
  {
    name: 'a store that forgets completion (completed uploads take appends)',
    breaks: 'completed-changed',
    store: (directory) =>
      new (class extends DiskStore {
        override async get(id: string): Promise<UploadInfo> {
          return { ...(await super.get(id)), complete: false }
        }
      })({ directory }),
  },
  {
    name: 'a server that stops listening on some input',
    breaks: 'crash',
    store: (directory, _root, server) => {
      let n = 0
      return new (class extends DiskStore {
        override async get(id: string): Promise<UploadInfo> {
          if (++n === 30) void server()?.close(0)
          return super.get(id)
        }
      })({ directory })
    },
  },
  {
    name: 'a store that leaks memory on every read',
    breaks: 'memory',
    store: (directory) => {
      const kept: Buffer[] = []
      return new (class extends DiskStore {
        override async get(id: string): Promise<UploadInfo> {
          kept.push(Buffer.alloc(4 * MiB, 1))
          return super.get(id)
        }
      })({ directory })
    },
  },
]

describe('each fuzz oracle can fail', { timeout: LIMIT_MS }, () => {
  for (const m of mutants) {
    test(`${m.name}: ${m.breaks ? `reported as '${m.breaks}'` : 'nothing reported'}`, async () => {
      const root = await mkdtemp(join(tmpdir(), 'rufh-mutant-'))
      const store = join(root, 'store')
      await mkdir(store)
      let server: RunningServer | undefined
      const undo = m.patch?.()
      try {
        server = await startServer({
          port: 0,
          store: m.store ? m.store(store, root, () => server) : new DiskStore({ directory: store }),
          connections: { headTimeoutMs: 2000, idleTimeoutMs: 2000 },
        })
        const s = server
        let closed = false
        const report = await fuzz(
          {
            port: s.port,
            base: '/files/',
            store,
            root,
            alive: async () =>
              !closed && (await send(s.url, { method: 'OPTIONS' }).catch(() => ({ status: 0 }))).status === 204,
            rss: () => process.memoryUsage().rss,
          },
          { seed: SEED, http1: 150, h2c: 50, memoryGrowth: 48 * MiB },
        )
        const found = new Set(report.violations.map((v) => v.oracle))
        if (m.breaks)
          assert.ok(found.has(m.breaks), `expected '${m.breaks}', got ${[...found].join(', ') || 'nothing'}`)
        else
          assert.deepEqual(
            [...found],
            [],
            report.violations
              .slice(0, 5)
              .map((v) => v.detail)
              .join('\n'),
          )
        closed = true
      } finally {
        undo?.()
        await server?.close(0).catch(() => {})
        await rm(root, { recursive: true, force: true })
      }
    })
  }
})
