/**
 * `rufh netsim`: a fault-injecting proxy with a toxiproxy-compatible control API (@rufh/netsim's `runNetsim`). Runs
 * until SIGINT/SIGTERM, then exits 0. The flags are read here, by the same parser as every other command.
 */
import { loadScenario, NetsimError, netsimSummary, type RunNetsimOptions, runNetsim } from '@rufh/netsim'
import { parseFlags, UsageError, usageFailed } from '../args.js'

export const summary = netsimSummary

const SYNOPSIS = 'rufh netsim [options]'

const USAGE = `usage: ${SYNOPSIS}

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

/** The options, or undefined for --help; throws a UsageError when the command line (or the scenario file) is wrong. */
async function parse(argv: string[]): Promise<RunNetsimOptions | undefined> {
  const { values } = parseFlags({
    args: argv,
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
  if (values.help) return undefined
  if (values.listen !== undefined && values.upstream === undefined) throw new UsageError('--listen needs --upstream')
  let scenario: RunNetsimOptions['scenario']
  try {
    if (values.scenario !== undefined) scenario = await loadScenario(values.scenario)
  } catch (e) {
    throw e instanceof NetsimError ? new UsageError(`--scenario: ${e.message}`) : e
  }
  // A seed is a number when it looks like one (as in a scenario file), otherwise a string hashed into one.
  const seed = values.seed !== undefined && /^\d+$/.test(values.seed) ? Number(values.seed) : values.seed
  return {
    ...(values.listen !== undefined ? { listen: values.listen } : {}),
    ...(values.upstream !== undefined ? { upstream: values.upstream } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    api: values['no-api'] ? false : (values.api ?? '127.0.0.1:8474'),
    ...(seed !== undefined ? { seed } : {}),
    ...(scenario ? { scenario } : {}),
    allowRemote: values['allow-remote'] === true,
    verbose: values.verbose === true,
  }
}

export async function run(argv: string[]): Promise<number> {
  let options: RunNetsimOptions | undefined
  try {
    options = await parse(argv)
  } catch (e) {
    return usageFailed('netsim', SYNOPSIS, e)
  }
  if (!options) {
    process.stdout.write(USAGE)
    return 0
  }
  try {
    return await runNetsim(options)
  } catch (e) {
    // A refused address or scenario entry is the caller's mistake (4xx), as in the control API.
    if (e instanceof NetsimError && e.status < 500) return usageFailed('netsim', SYNOPSIS, new UsageError(e.message))
    process.stderr.write(`rufh netsim: ${(e as Error).message}\n`)
    return 1
  }
}
