/**
 * Test servers: `rufh`'s server on a temporary folder with an instrumented disk store that counts every byte it
 * stores, and can corrupt uploads (flip one byte of every Nth upload) or slow them down.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Limits } from '@rufh/protocol'
import { type AppendOptions, DiskStore, type NewUpload, startServer, type UploadInfo } from '@rufh/server'
import { ServerMetrics } from '@rufh/server/prometheus'

/** The byte of an upload that a corrupting store flips. */
export const CORRUPT_AT = 100

export interface StoreOptions {
  /** Flip byte CORRUPT_AT of every Nth upload created (1-based); 0: never. */
  corruptEvery?: number
  /** Wait this long before storing each chunk. */
  delayMs?: number
}

export interface TestServerOptions extends StoreOptions {
  limits?: Limits
  /** Serve rufh's Prometheus metrics at /metrics. */
  metrics?: boolean
}

export class InstrumentedStore extends DiskStore {
  /** Bytes that reached the store through appends. */
  appended = 0
  /** Upload ids whose stored bytes were corrupted. */
  readonly corrupted = new Set<string>()
  private readonly doomed = new Set<string>()
  private creations = 0

  constructor(
    directory: string,
    private readonly options: StoreOptions = {},
  ) {
    super({ directory })
  }

  override async create(init: NewUpload): Promise<UploadInfo> {
    this.creations++
    const every = this.options.corruptEvery ?? 0
    if (every > 0 && this.creations % every === 0) this.doomed.add(init.id)
    return super.create(init)
  }

  override append(
    id: string,
    offset: number,
    body: AsyncIterable<Uint8Array>,
    options?: AppendOptions,
  ): Promise<number> {
    const self = this
    const delayMs = this.options.delayMs ?? 0
    async function* tap(): AsyncIterable<Uint8Array> {
      let pos = offset
      for await (const chunk of body) {
        if (delayMs > 0) await new Promise((r) => setTimeout(r, delayMs))
        let out = chunk
        if (self.doomed.has(id) && pos <= CORRUPT_AT && CORRUPT_AT < pos + chunk.length) {
          out = Uint8Array.from(chunk)
          out[CORRUPT_AT - pos] = (out[CORRUPT_AT - pos] ?? 0) ^ 0xff
          self.corrupted.add(id)
        }
        self.appended += chunk.length
        pos += chunk.length
        yield out
      }
    }
    return super.append(id, offset, tap(), options)
  }
}

export interface TestServer {
  url: string
  dir: string
  store: InstrumentedStore
  close(): Promise<void>
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'rufh-load-'))
  const store = new InstrumentedStore(dir, options)
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    store,
    expiryIntervalMs: 0,
    ...(options.limits ? { limits: options.limits } : {}),
    ...(options.metrics ? { metrics: new ServerMetrics({ processMetrics: false }) } : {}),
  })
  return {
    url: server.url,
    dir,
    store,
    close: async () => {
      await server.close(500)
      await rm(dir, { recursive: true, force: true })
    },
  }
}
