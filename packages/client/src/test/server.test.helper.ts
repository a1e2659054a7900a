/** A `rufh serve` instance on a temporary folder, with access to what it stored. */
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Limits } from '@rufh/protocol'
import { type ListenOptions, startServer } from '@rufh/server'

export interface TestServer {
  url: string
  port: number
  dir: string
  /** The bytes stored for an upload URL (any host: the id is the last path segment). */
  bytesOf(uploadUrl: string): Promise<Buffer>
  close(): Promise<void>
}

export async function startTestServer(limits?: Limits, extra: Partial<ListenOptions> = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-client-test-'))
  const s = await startServer({
    host: '127.0.0.1',
    port: 0,
    directory: join(dir, 'store'),
    progressIntervalMs: 0,
    ...(limits ? { limits } : {}),
    ...extra,
  })
  return {
    url: s.url,
    port: s.port,
    dir,
    bytesOf: (u) => readFile(join(dir, 'store', new URL(u).pathname.split('/').pop()!)),
    async close() {
      try {
        await s.close(500)
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    },
  }
}

/** Deterministic pseudo-random bytes. */
export function pseudoRandom(n: number, seed = 1): Buffer {
  const out = Buffer.allocUnsafe(n)
  let x = (seed * 2654435761) >>> 0 || 1
  for (let i = 0; i < n; i++) {
    x ^= x << 13
    x >>>= 0
    x ^= x >>> 17
    x ^= x << 5
    x >>>= 0
    out[i] = x & 0xff
  }
  return out
}
