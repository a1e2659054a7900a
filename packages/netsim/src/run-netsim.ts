/**
 * `rufh netsim` without its command line: one proxy, the toxiproxy control API, and optionally a scenario, running
 * until SIGINT/SIGTERM (or `io.signal` aborts, for tests); then everything is closed and it resolves to 0. The flags
 * are parsed by the `rufh` command (packages/cli), which hands the result here.
 */
import { type ApiServer, startApi } from './api.js'
import { Netsim } from './netsim.js'
import { playScenario, type Scenario, type ScenarioRun } from './scenario.js'

export const netsimSummary = 'fault-injecting TCP/HTTP proxy with a toxiproxy-compatible API'

export interface RunNetsimOptions {
  /** Where the proxy listens (default 127.0.0.1:0); needs `upstream`. */
  listen?: string
  /** Where the proxy forwards to; without it no proxy is made from options (a scenario may make some). */
  upstream?: string
  /** The proxy's name in the API (default netsim). */
  name?: string
  /** The control API's address (default 127.0.0.1:8474), or false for none. */
  api?: string | false
  /** Seed of every random choice (default: the scenario's, else random; printed). */
  seed?: number | string
  scenario?: Scenario
  /** Permit addresses that are not loopback. */
  allowRemote?: boolean
  /** Print every fault as a JSON line on stderr. */
  verbose?: boolean
}

export interface NetsimIo {
  stdout?: { write(s: string): unknown }
  stderr?: { write(s: string): unknown }
  /** Stops the command as a signal would; without it SIGINT and SIGTERM do. */
  signal?: AbortSignal
}

function waitForStop(signal: AbortSignal | undefined): Promise<string> {
  if (signal) {
    return new Promise((resolve) => {
      if (signal.aborted) resolve('abort')
      else signal.addEventListener('abort', () => resolve('abort'), { once: true })
    })
  }
  return new Promise((resolve) => {
    const on = (sig: string): void => {
      process.off('SIGINT', on)
      process.off('SIGTERM', on)
      resolve(sig)
    }
    process.on('SIGINT', on)
    process.on('SIGTERM', on)
  })
}

/**
 * Runs until stopped and resolves to exit code 0. When setting up fails (an address refused, a port taken, a bad
 * scenario entry) it closes what it opened and rejects with the error (a NetsimError with a 4xx `status` is the
 * caller's mistake).
 */
export async function runNetsim(options: RunNetsimOptions, io: NetsimIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout
  const err = io.stderr ?? process.stderr
  const { scenario } = options
  const seed = options.seed ?? scenario?.seed
  const ns = new Netsim({ allowNonLoopback: options.allowRemote ?? false, ...(seed === undefined ? {} : { seed }) })
  let api: ApiServer | undefined
  let run: ScenarioRun | undefined
  try {
    out.write(`netsim: seed ${ns.seed}\n`)
    if (options.verbose) ns.on('fault', (f) => err.write(`${JSON.stringify(f)}\n`))
    const name = options.name ?? 'netsim'
    if (options.upstream !== undefined) {
      const p = await ns.createProxy({ name, upstream: options.upstream, listen: options.listen ?? '127.0.0.1:0' })
      out.write(`netsim: proxy ${p.name} ${p.listen} -> ${p.upstream}\n`)
    }
    if (options.api !== false) {
      api = await startApi(ns, options.api ?? '127.0.0.1:8474')
      out.write(`netsim: api ${api.url}\n`)
    }
    if (scenario) {
      run = await playScenario(ns, scenario, options.upstream !== undefined ? { defaultProxy: name } : {})
      for (const p of scenario.proxies ?? []) {
        const live = ns.proxy(p.name)
        out.write(`netsim: proxy ${live.name} ${live.listen} -> ${live.upstream}\n`)
      }
      run.done.then(
        () => out.write('netsim: scenario finished\n'),
        (e: unknown) => err.write(`rufh netsim: ${(e as Error).message}\n`),
      )
    }
  } catch (e) {
    run?.stop()
    await api?.close()
    await ns.close()
    throw e
  }
  out.write('netsim: ready\n')
  const why = await waitForStop(io.signal)
  out.write(`netsim: ${why === 'abort' ? 'stopping' : `${why}, stopping`}\n`)
  run?.stop()
  await api?.close()
  await ns.close()
  return 0
}
