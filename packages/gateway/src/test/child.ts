/** `rufh gateway` as a child process (for kill -9 tests): started on a free port, its URL read from stdout. */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const BIN = fileURLToPath(new URL('../../../cli/dist/bin.js', import.meta.url))

export interface ChildGateway {
  url: string
  proc: ChildProcess
  /** Everything it logged. */
  output: () => string
  kill9(): Promise<void>
}

export async function spawnGateway(args: string[], env: NodeJS.ProcessEnv = process.env): Promise<ChildGateway> {
  const proc = spawn(process.execPath, [BIN, 'gateway', '--port', '0', '--log-level', 'info', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env,
  })
  let out = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()))
  const url = await new Promise<string>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`gateway did not start:\n${out}`)), 15_000)
    const check = () => {
      const m = /rufh gateway (https?:\/\/[^ ]+) ->/.exec(out)
      if (m?.[1]) {
        clearTimeout(t)
        proc.stdout?.off('data', check)
        resolve(m[1])
      }
    }
    proc.stdout?.on('data', check)
    proc.once('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${out}`)))
  })
  return {
    url,
    proc,
    output: () => out,
    kill9: async () => {
      if (proc.exitCode !== null || proc.signalCode !== null) return
      const exited = new Promise((r) => proc.once('exit', r))
      proc.kill('SIGKILL')
      await exited
    },
  }
}
