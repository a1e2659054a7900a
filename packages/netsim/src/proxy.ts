/**
 * One proxy: a listening socket, an upstream address, its toxics, and its live connections. Field names and
 * semantics follow toxiproxy's: `listen` reports the bound address (so port 0 becomes the real port), changing
 * `listen` or `upstream` restarts the proxy, and disabling it closes every connection.
 */
import { connect, createServer, type Server, type Socket } from 'node:net'
import { formatHostPort, type HostPort, resolveAddress } from './address.js'
import type { FaultEvent } from './chain.js'
import { Connection, type ProxyHooks } from './connection.js'
import { NetsimError } from './errors.js'
import type { SelectedFault } from './http-faults.js'
import type { RequestHead } from './http1-parser.js'
import { Rng } from './rng.js'
import { isHttpToxic, parseToxic, patchToxic, type ToxicSpec, toxicToJson } from './toxic-spec.js'

/** What a proxy needs from the `Netsim` that owns it. */
export interface NetsimHooks {
  readonly seed: number
  readonly allowNonLoopback: boolean
  tracing(): boolean
  trace(event: FaultEvent): void
}

export interface ProxyConfig {
  name: string
  listen: string
  upstream: string
  enabled: boolean
}

export interface ProxyJson {
  name: string
  listen: string
  upstream: string
  enabled: boolean
  toxics: Record<string, unknown>[]
}

export class NetsimProxy implements ProxyHooks {
  readonly name: string
  #listen: string
  #upstream: string
  #upstreamAddr: HostPort
  #enabled = false
  #server: Server | undefined
  #port = 0
  /** Insertion order; shown upstream first like toxiproxy's chains. */
  #toxics: ToxicSpec[] = []
  readonly #connections = new Set<Connection>()
  readonly #pending = new Set<Socket>()
  #accepted = 0
  readonly #shared = new Map<string, unknown>()
  /** Per HTTP toxic: how many requests it has matched since it was added or last updated. */
  readonly #matched = new Map<string, number>()

  constructor(
    private readonly netsim: NetsimHooks,
    config: Omit<ProxyConfig, 'enabled'>,
  ) {
    this.name = config.name
    this.#listen = config.listen
    this.#upstream = config.upstream
    this.#upstreamAddr = checkUpstream(config.upstream, netsim.allowNonLoopback)
    resolveAddress(config.listen, 'listen', netsim.allowNonLoopback)
  }

  get seed(): number {
    return this.netsim.seed
  }
  get listen(): string {
    return this.#listen
  }
  get upstream(): string {
    return this.#upstream
  }
  get enabled(): boolean {
    return this.#enabled
  }
  /** The bound port, 0 while disabled. */
  get port(): number {
    return this.#port
  }
  get connectionCount(): number {
    return this.#connections.size
  }

  tracing(): boolean {
    return this.netsim.tracing()
  }

  trace(event: FaultEvent): void {
    this.netsim.trace(event)
  }

  toxics(): readonly ToxicSpec[] {
    return this.#toxics
  }

  toJSON(): ProxyJson {
    const ordered = [
      ...this.#toxics.filter((t) => t.stream === 'upstream'),
      ...this.#toxics.filter((t) => t.stream === 'downstream'),
    ]
    return {
      name: this.name,
      listen: this.#listen,
      upstream: this.#upstream,
      enabled: this.#enabled,
      toxics: ordered.map(toxicToJson),
    }
  }

  async start(): Promise<void> {
    if (this.#enabled) return
    const addr = resolveAddress(this.#listen, 'listen', this.netsim.allowNonLoopback)
    const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, (s) => this.#accept(s))
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(
          new NetsimError(
            'ERR_LISTEN',
            `proxy ${this.name}: cannot listen on ${this.#listen}: ${err.code ?? err.message}`,
          ),
        ),
      )
      server.listen({ host: addr.host === '' ? undefined : addr.host, port: addr.port }, resolve)
    })
    server.on('error', () => {})
    const bound = server.address()
    if (bound && typeof bound === 'object') {
      this.#port = bound.port
      this.#listen = formatHostPort(addr.host === '' ? bound.address : addr.host, bound.port)
    }
    this.#server = server
    this.#enabled = true
  }

  async stop(): Promise<void> {
    if (!this.#enabled) return
    this.#enabled = false
    const server = this.#server
    this.#server = undefined
    this.#port = 0
    for (const s of this.#pending) s.destroy()
    for (const c of this.#connections) c.destroy()
    await new Promise<void>((resolve) => server?.close(() => resolve()) ?? resolve())
  }

  /** toxiproxy's proxy update: absent fields keep their value. */
  async update(patch: { listen?: string; upstream?: string; enabled?: boolean }): Promise<void> {
    const listen = patch.listen ?? this.#listen
    const upstream = patch.upstream ?? this.#upstream
    const enabled = patch.enabled ?? this.#enabled
    if (listen !== this.#listen || upstream !== this.#upstream) {
      // Validate before stopping, so a bad update leaves the proxy as it was.
      const upstreamAddr = checkUpstream(upstream, this.netsim.allowNonLoopback)
      resolveAddress(listen, 'listen', this.netsim.allowNonLoopback)
      await this.stop()
      this.#listen = listen
      this.#upstream = upstream
      this.#upstreamAddr = upstreamAddr
    }
    if (enabled) await this.start()
    else await this.stop()
  }

  getToxic(name: string): ToxicSpec {
    const t = this.#toxics.find((x) => x.name === name)
    if (!t) throw new NetsimError('ERR_TOXIC_NOT_FOUND', `toxic not found: ${name}`)
    return t
  }

  addToxic(input: unknown): ToxicSpec {
    const spec = parseToxic(input)
    if (this.#toxics.some((t) => t.name === spec.name)) {
      throw new NetsimError('ERR_TOXIC_EXISTS', `toxic already exists: ${spec.name}`)
    }
    this.#toxics = [...this.#toxics, spec]
    this.#matched.delete(spec.name)
    this.#syncAll()
    return spec
  }

  updateToxic(name: string, input: unknown): ToxicSpec {
    const spec = patchToxic(this.getToxic(name), input)
    this.#toxics = this.#toxics.map((t) => (t.name === name ? spec : t))
    this.#matched.delete(name)
    this.#syncAll()
    return spec
  }

  removeToxic(name: string): void {
    this.getToxic(name)
    this.#toxics = this.#toxics.filter((t) => t.name !== name)
    this.#matched.delete(name)
    this.#shared.delete(name)
    this.#syncAll()
  }

  resetToxics(): void {
    this.#toxics = []
    this.#matched.clear()
    this.#shared.clear()
    this.#syncAll()
  }

  shared<T>(toxic: string, make: () => T): T {
    if (!this.#shared.has(toxic)) this.#shared.set(toxic, make())
    return this.#shared.get(toxic) as T
  }

  selectHttpFaults(head: RequestHead): SelectedFault[] {
    const chosen: SelectedFault[] = []
    for (const spec of this.#toxics) {
      if (!isHttpToxic(spec)) continue
      const a = spec.attributes
      if (a.method !== '' && a.method !== head.method) continue
      if (a.path !== '' && !head.target.startsWith(a.path)) continue
      const n = (this.#matched.get(spec.name) ?? 0) + 1
      this.#matched.set(spec.name, n)
      if (a.request !== 0 && a.request !== n) continue
      const rng = Rng.derive(this.seed, this.name, 'http', spec.name, n)
      if (rng.next() < spec.toxicity) chosen.push({ spec, n, rng })
    }
    return chosen
  }

  #syncAll(): void {
    for (const c of this.#connections) c.sync()
  }

  #accept(client: Socket): void {
    if (!this.#enabled) return void client.destroy()
    const index = this.#accepted++
    this.#pending.add(client)
    client.once('close', () => this.#pending.delete(client))
    const onEarlyError = (): void => {
      upstream.destroy()
    }
    client.on('error', onEarlyError)
    const { host, port } = this.#upstreamAddr
    const upstream = connect({ host, port, allowHalfOpen: true })
    upstream.once('error', () => {
      // toxiproxy closes the client when the upstream cannot be reached; so do we.
      this.#pending.delete(client)
      client.destroy()
    })
    upstream.once('connect', () => {
      this.#pending.delete(client)
      client.off('error', onEarlyError)
      upstream.removeAllListeners('error')
      if (client.destroyed || !this.#enabled) {
        upstream.destroy()
        client.destroy()
        return
      }
      const conn = new Connection(this, index, client, upstream, (c) => this.#connections.delete(c))
      this.#connections.add(conn)
      conn.start()
      client.resume()
    })
  }
}

function checkUpstream(upstream: string, allowNonLoopback: boolean): HostPort {
  const addr = resolveAddress(upstream, 'upstream', allowNonLoopback)
  if (addr.port === 0 || addr.host === '') {
    throw new NetsimError('ERR_INVALID_FIELD', `upstream ${upstream} needs a host and a non-zero port`)
  }
  return addr
}
