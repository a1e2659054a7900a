/**
 * The real commands the page test drives: `rufh serve --ui` and `rufh netsim`, each a child process of the built CLI,
 * read from their output (the URL they serve, netsim's addresses and the faults it reports with `--verbose`).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url))

export interface Command {
  child: ChildProcess
  /** Everything printed so far, stdout and stderr. */
  readonly out: string
  /** Waits until the output matches `pattern`; throws with the output after `ms`. */
  waitFor(pattern: RegExp, ms?: number): Promise<RegExpExecArray>
  stop(): Promise<void>
}

export function rufh(args: string[]): Command {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  child.stdout?.on('data', (d: Buffer) => {
    out += d
  })
  child.stderr?.on('data', (d: Buffer) => {
    out += d
  })
  return {
    child,
    get out() {
      return out
    },
    async waitFor(pattern, ms = 10_000) {
      const end = Date.now() + ms
      for (;;) {
        const m = pattern.exec(out)
        if (m) return m
        if (child.exitCode !== null) throw new Error(`rufh ${args[0]} exited ${child.exitCode}:\n${out}`)
        if (Date.now() > end) throw new Error(`no ${pattern} from rufh ${args[0]} in ${ms} ms:\n${out}`)
        await new Promise((r) => setTimeout(r, 20))
      }
    },
    async stop() {
      if (child.exitCode !== null) return
      const exited = once(child, 'exit')
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** Adds a toxic through netsim's toxiproxy API; returns its name. */
export async function addToxic(api: string, proxy: string, toxic: Record<string, unknown>): Promise<string> {
  const r = await fetch(`${api}/proxies/${proxy}/toxics`, { method: 'POST', body: JSON.stringify(toxic) })
  if (r.status !== 200) throw new Error(`netsim refused ${JSON.stringify(toxic)}: ${r.status} ${await r.text()}`)
  return ((await r.json()) as { name: string }).name
}

export async function removeToxic(api: string, proxy: string, name: string): Promise<void> {
  const r = await fetch(`${api}/proxies/${proxy}/toxics/${name}`, { method: 'DELETE' })
  if (r.status !== 204) throw new Error(`netsim kept ${name}: ${r.status}`)
}

/** Every proxy enabled, every toxic removed. */
export async function resetToxics(api: string): Promise<void> {
  const r = await fetch(`${api}/reset`, { method: 'POST' })
  if (r.status !== 204) throw new Error(`netsim reset: ${r.status}`)
}
