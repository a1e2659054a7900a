/**
 * Scenario files: proxies to create and a timeline of toxic changes, as JSON. Each timeline entry happens `at`
 * milliseconds after the scenario starts and does exactly one thing: add a toxic, update one, remove one, or enable or
 * disable the proxy. See README.md for the format.
 */
import { readFile } from 'node:fs/promises'
import { NetsimError } from './errors.js'
import type { Netsim, ProxyInput } from './netsim.js'
import { parseToxic, type ToxicInput } from './toxic-spec.js'

export type TimelineAction =
  | { add: ToxicInput }
  | { update: { name: string; toxicity?: number; attributes?: Record<string, unknown> } }
  | { remove: string }
  | { enabled: boolean }

export type TimelineEntry = TimelineAction & {
  at: number
  /** Which proxy; may be left out when there is only one. */
  proxy?: string
}

export interface Scenario {
  seed?: number | string
  proxies?: ProxyInput[]
  timeline: TimelineEntry[]
}

const actionKeys = ['add', 'update', 'remove', 'enabled'] as const

function bad(where: string, message: string): NetsimError {
  return new NetsimError('ERR_SCENARIO', `scenario ${where}: ${message}`)
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function checkEntry(e: unknown, i: number): TimelineEntry {
  const where = `timeline[${i}]`
  if (!isRecord(e)) throw bad(where, 'must be an object')
  const at = e['at']
  if (typeof at !== 'number' || !Number.isFinite(at) || at < 0) throw bad(where, '"at" must be a number of ms >= 0')
  const proxy = e['proxy']
  if (proxy !== undefined && typeof proxy !== 'string') throw bad(where, '"proxy" must be a string')
  const present = actionKeys.filter((k) => e[k] !== undefined)
  if (present.length !== 1) throw bad(where, `needs exactly one of ${actionKeys.join(', ')}; found ${present.length}`)
  const unknown = Object.keys(e).filter(
    (k) => k !== 'at' && k !== 'proxy' && !(actionKeys as readonly string[]).includes(k),
  )
  if (unknown.length > 0) throw bad(where, `unknown key ${unknown.join(', ')}`)
  const base = proxy === undefined ? { at } : { at, proxy }
  const key = present[0]!
  switch (key) {
    case 'add':
      try {
        parseToxic(e['add'])
      } catch (err) {
        throw bad(`${where}.add`, (err as Error).message)
      }
      return { ...base, add: e['add'] as ToxicInput }
    case 'update': {
      const u = e['update']
      if (!isRecord(u) || typeof u['name'] !== 'string') throw bad(`${where}.update`, 'needs the toxic "name"')
      return { ...base, update: u as { name: string } }
    }
    case 'remove':
      if (typeof e['remove'] !== 'string') throw bad(`${where}.remove`, 'must be the toxic name')
      return { ...base, remove: e['remove'] }
    case 'enabled':
      if (typeof e['enabled'] !== 'boolean') throw bad(`${where}.enabled`, 'must be true or false')
      return { ...base, enabled: e['enabled'] }
  }
}

/** Checks a scenario's structure and every toxic it adds; updates are checked when they run, against the toxic. */
export function parseScenario(input: unknown): Scenario {
  if (!isRecord(input)) throw bad('', 'must be a JSON object')
  const unknown = Object.keys(input).filter((k) => !['seed', 'proxies', 'timeline'].includes(k))
  if (unknown.length > 0) throw bad('', `unknown key ${unknown.join(', ')}`)
  const { seed, proxies, timeline } = input
  if (seed !== undefined && typeof seed !== 'number' && typeof seed !== 'string') {
    throw bad('seed', 'must be a number or a string')
  }
  if (proxies !== undefined && !Array.isArray(proxies)) throw bad('proxies', 'must be an array')
  if (timeline !== undefined && !Array.isArray(timeline)) throw bad('timeline', 'must be an array')
  const out: Scenario = { timeline: (timeline ?? []).map(checkEntry) }
  if (seed !== undefined) out.seed = seed
  if (proxies !== undefined) out.proxies = proxies as ProxyInput[]
  return out
}

export async function loadScenario(file: string): Promise<Scenario> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (e) {
    throw new NetsimError('ERR_SCENARIO', `cannot read scenario ${file}: ${(e as Error).message}`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (e) {
    throw new NetsimError('ERR_SCENARIO', `scenario ${file} is not JSON: ${(e as Error).message}`)
  }
  return parseScenario(json)
}

export interface ScenarioRun {
  /** Resolves after the last entry ran; rejects with the first entry that failed (the rest are cancelled). */
  readonly done: Promise<void>
  /** Cancels the entries that have not run yet. */
  stop(): void
}

export interface PlayOptions {
  /** The proxy for entries that name none; default: the only proxy, if there is exactly one. */
  defaultProxy?: string
}

/** Creates the scenario's proxies (if any), then plays its timeline against `ns`. */
export async function playScenario(ns: Netsim, scenario: Scenario, options: PlayOptions = {}): Promise<ScenarioRun> {
  for (const p of scenario.proxies ?? []) await ns.createProxy(p)
  const timers = new Set<NodeJS.Timeout>()
  let settle: { resolve: () => void; reject: (e: unknown) => void }
  const done = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject }
  })
  const stop = (): void => {
    for (const t of timers) clearTimeout(t)
    timers.clear()
  }
  let left = scenario.timeline.length
  if (left === 0) settle!.resolve()
  // Entries with the same `at` run in file order: timers of equal delay fire in the order they were set.
  const order = scenario.timeline.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i)
  for (const { e, i } of order) {
    const t = setTimeout(() => {
      timers.delete(t)
      apply(ns, e, options)
        .then(() => {
          if (--left === 0) settle.resolve()
        })
        .catch((err: unknown) => {
          stop()
          settle.reject(bad(`timeline[${i}] (at ${e.at} ms)`, (err as Error).message))
        })
    }, e.at)
    timers.add(t)
  }
  return { done, stop }
}

function targetProxy(ns: Netsim, e: TimelineEntry, options: PlayOptions): string {
  if (e.proxy !== undefined) return e.proxy
  if (options.defaultProxy !== undefined) return options.defaultProxy
  const all = ns.proxies()
  if (all.length !== 1) throw new Error(`entry names no proxy and there are ${all.length}; add "proxy"`)
  return all[0]!.name
}

async function apply(ns: Netsim, e: TimelineEntry, options: PlayOptions): Promise<void> {
  const proxy = ns.proxy(targetProxy(ns, e, options))
  if ('add' in e) proxy.addToxic(e.add)
  else if ('update' in e) proxy.updateToxic(e.update.name, e.update)
  else if ('remove' in e) proxy.removeToxic(e.remove)
  else await proxy.update({ enabled: e.enabled })
}
