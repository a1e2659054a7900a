/**
 * The collection of proxies, the seed every random choice derives from, and the `'fault'` event stream. This is the
 * in-process API; the HTTP control API (`api.ts`) and the CLI are thin layers over it.
 */
import { EventEmitter } from 'node:events'
import type { FaultEvent } from './chain.js'
import { NetsimError } from './errors.js'
import { NetsimProxy, type ProxyJson } from './proxy.js'
import { normalizeSeed, randomSeed } from './rng.js'
import { checkName } from './toxic-spec.js'

export interface NetsimOptions {
  /** Every random choice derives from it; the same seed and the same traffic give the same faults. Default: random. */
  seed?: number | string
  /** Permit listen and upstream addresses off loopback. Default false. */
  allowNonLoopback?: boolean
}

/** A proxy as the API takes it; `listen` defaults to `127.0.0.1:0` (a free port), `enabled` to true. */
export interface ProxyInput {
  name: string
  upstream: string
  listen?: string
  enabled?: boolean
}

export interface NetsimEvents {
  fault: [FaultEvent]
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkProxyInput(input: unknown, where = ''): Required<ProxyInput> {
  if (!isRecord(input)) throw new NetsimError('ERR_BAD_REQUEST_BODY', `${where}a proxy must be a JSON object`)
  const { name, upstream, listen, enabled } = input
  if (name === undefined || name === '')
    throw new NetsimError('ERR_MISSING_FIELD', `${where}missing required field: name`)
  if (upstream === undefined || upstream === '') {
    throw new NetsimError('ERR_MISSING_FIELD', `${where}missing required field: upstream`)
  }
  if (typeof upstream !== 'string') throw new NetsimError('ERR_INVALID_FIELD', `${where}upstream must be a string`)
  if (listen !== undefined && typeof listen !== 'string') {
    throw new NetsimError('ERR_INVALID_FIELD', `${where}listen must be a string`)
  }
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw new NetsimError('ERR_INVALID_FIELD', `${where}enabled must be true or false`)
  }
  return {
    name: checkName('proxy', name),
    upstream,
    listen: listen === undefined || listen === '' ? '127.0.0.1:0' : listen,
    enabled: enabled ?? true,
  }
}

export class Netsim extends EventEmitter<NetsimEvents> {
  readonly seed: number
  readonly allowNonLoopback: boolean
  readonly #proxies = new Map<string, NetsimProxy>()
  #closed = false

  constructor(options: NetsimOptions = {}) {
    super()
    this.seed = normalizeSeed(options.seed ?? randomSeed())
    this.allowNonLoopback = options.allowNonLoopback ?? false
  }

  tracing(): boolean {
    return this.listenerCount('fault') > 0
  }

  trace(event: FaultEvent): void {
    this.emit('fault', event)
  }

  proxies(): NetsimProxy[] {
    return [...this.#proxies.values()]
  }

  proxy(name: string): NetsimProxy {
    const p = this.#proxies.get(name)
    if (!p) throw new NetsimError('ERR_PROXY_NOT_FOUND', `proxy not found: ${name}`)
    return p
  }

  async createProxy(input: ProxyInput | unknown): Promise<NetsimProxy> {
    this.#open()
    const cfg = checkProxyInput(input)
    if (this.#proxies.has(cfg.name)) throw new NetsimError('ERR_PROXY_EXISTS', `proxy already exists: ${cfg.name}`)
    const proxy = new NetsimProxy(this, cfg)
    // Claimed before the first await, so two concurrent creates of one name cannot both succeed.
    this.#proxies.set(cfg.name, proxy)
    try {
      if (cfg.enabled) await proxy.start()
    } catch (e) {
      this.#proxies.delete(cfg.name)
      throw e
    }
    return proxy
  }

  async deleteProxy(name: string): Promise<void> {
    const p = this.proxy(name)
    this.#proxies.delete(name)
    await p.stop()
  }

  /**
   * toxiproxy's `/populate`: create each proxy, or replace one of the same name whose listen or upstream differs.
   * Everything is validated before anything changes.
   */
  async populate(input: unknown): Promise<NetsimProxy[]> {
    this.#open()
    if (!Array.isArray(input)) throw new NetsimError('ERR_BAD_REQUEST_BODY', 'populate expects a JSON array of proxies')
    const configs = input.map((p, i) => checkProxyInput(p, `proxy ${i + 1}: `))
    const names = new Set<string>()
    for (const c of configs) {
      if (names.has(c.name)) throw new NetsimError('ERR_BAD_REQUEST_BODY', `duplicate proxy name ${c.name}`)
      names.add(c.name)
      // Constructing validates the addresses without binding anything.
      new NetsimProxy(this, c)
    }
    const out: NetsimProxy[] = []
    for (const c of configs) {
      const existing = this.#proxies.get(c.name)
      if (existing && existing.listen === c.listen && existing.upstream === c.upstream) {
        out.push(existing)
        continue
      }
      if (existing) await this.deleteProxy(c.name)
      out.push(await this.createProxy(c))
    }
    return out
  }

  /** toxiproxy's `/reset`: every proxy enabled, every toxic gone. */
  async reset(): Promise<void> {
    for (const p of this.#proxies.values()) {
      p.resetToxics()
      await p.start()
    }
  }

  toJSON(): Record<string, ProxyJson> {
    return Object.fromEntries([...this.#proxies].map(([n, p]) => [n, p.toJSON()]))
  }

  async close(): Promise<void> {
    this.#closed = true
    const all = [...this.#proxies.values()]
    this.#proxies.clear()
    await Promise.all(all.map((p) => p.stop()))
  }

  #open(): void {
    if (this.#closed) throw new NetsimError('ERR_CLOSED', 'netsim is closed')
  }
}
