/**
 * `rufh netsim`: one proxy from flags, the toxiproxy control API, and optionally a scenario file. Runs until
 * SIGINT/SIGTERM (or `signal` aborts, for tests), then closes everything and returns 0.
 */
import { parseArgs } from 'node:util'
import { type ApiServer, startApi } from './api.js'
import { NetsimError } from './errors.js'
import { Netsim } from './netsim.js'
import { loadScenario, playScenario, type Scenario, type ScenarioRun } from './scenario.js'

export const netsimSummary = 'fault-injecting TCP/HTTP proxy with a toxiproxy-compatible API'

export const netsimUsage = `usage: rufh netsim [options]

  --listen HOST:PORT     address the proxy listens on (default port: 0, a free one)
  --upstream HOST:PORT   address the proxy forwards to (required with --listen)
  --name NAME            proxy name in the API (default: netsim)
  --api HOST:PORT        toxiproxy-compatible control API (default: 127.0.0.1:8474)
  --no-api               do not start the control API
  --seed N               seed for every random choice (default: random, printed)
  --scenario FILE        JSON timeline of toxics to play (see packages/netsim/README.md)
  --allow-remote         permit listen/upstream/api addresses that are not loopback
  --verbose              print every fault as a JSON line on stderr
  -h, --help             this text

Runs until SIGINT or SIGTERM.
`

export interface CliIo {
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

export async function netsimCommand(argv: string[], io: CliIo = {}): Promise<number> {
  const out = io.stdout ?? process.stdout
  const err = io.stderr ?? process.stderr
  let values: ReturnType<typeof parse>['values']
  try {
    values = parse(argv).values
  } catch (e) {
    err.write(`rufh netsim: ${(e as Error).message}\n\n${netsimUsage}`)
    return 2
  }
  if (values.help) {
    out.write(netsimUsage)
    return 0
  }
  if (values.listen !== undefined && values.upstream === undefined) {
    err.write('rufh netsim: --listen needs --upstream\n')
    return 2
  }
  let scenario: Scenario | undefined
  let seed: number | string | undefined
  try {
    if (values.scenario !== undefined) scenario = await loadScenario(values.scenario)
    seed = values.seed ?? scenario?.seed
    if (typeof seed === 'string' && /^\d+$/.test(seed)) seed = Number(seed)
  } catch (e) {
    err.write(`rufh netsim: ${(e as Error).message}\n`)
    return 2
  }

  const ns = new Netsim({ allowNonLoopback: values['allow-remote'] ?? false, ...(seed === undefined ? {} : { seed }) })
  let api: ApiServer | undefined
  let run: ScenarioRun | undefined
  try {
    out.write(`netsim: seed ${ns.seed}\n`)
    if (values.verbose) ns.on('fault', (f) => err.write(`${JSON.stringify(f)}\n`))
    const name = values.name ?? 'netsim'
    if (values.upstream !== undefined) {
      const p = await ns.createProxy({ name, upstream: values.upstream, listen: values.listen ?? '127.0.0.1:0' })
      out.write(`netsim: proxy ${p.name} ${p.listen} -> ${p.upstream}\n`)
    }
    if (!values['no-api']) {
      api = await startApi(ns, values.api ?? '127.0.0.1:8474')
      out.write(`netsim: api ${api.url}\n`)
    }
    if (scenario) {
      run = await playScenario(ns, scenario, values.upstream !== undefined ? { defaultProxy: name } : {})
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
    err.write(`rufh netsim: ${(e as Error).message}\n`)
    run?.stop()
    await api?.close()
    await ns.close()
    return e instanceof NetsimError && e.status < 500 ? 2 : 1
  }
  out.write('netsim: ready\n')
  const why = await waitForStop(io.signal)
  out.write(`netsim: ${why === 'abort' ? 'stopping' : `${why}, stopping`}\n`)
  run?.stop()
  await api?.close()
  await ns.close()
  return 0
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    strict: true,
    allowPositionals: false,
    options: {
      listen: { type: 'string' },
      upstream: { type: 'string' },
      name: { type: 'string' },
      api: { type: 'string' },
      'no-api': { type: 'boolean' },
      seed: { type: 'string' },
      scenario: { type: 'string' },
      'allow-remote': { type: 'boolean' },
      verbose: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  })
}
