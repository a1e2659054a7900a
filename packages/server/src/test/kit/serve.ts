/** Test helper (not shipped): `rufh serve` as a child process, for crash and shutdown tests. */
import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

export const BIN = fileURLToPath(new URL('../../../../cli/dist/bin.js', import.meta.url))

export interface Exit {
  code: number | null
  signal: NodeJS.Signals | null
  /** Epoch milliseconds. */
  at: number
}

export interface ServeProcess {
  child: ChildProcess
  /** The creation URL printed on stdout. */
  url: string
  exited: Promise<Exit>
}

/** Every process started here, so a test file's `after` can kill what is left. */
export const serveChildren = new Set<ChildProcess>()

/** `rufh serve --port 0` on `dir` (plus `extra` flags); resolves with the URL it prints (silent for 10 s: killed). */
export function spawnServe(
  dir: string,
  extra: readonly string[] = [],
  o: {
    /** `ulimit -n` for the child (a server under a file-descriptor limit). */
    fdLimit?: number
    /** Working directory of the child. */
    cwd?: string
  } = {},
): Promise<ServeProcess> {
  const args = [BIN, 'serve', '--port', '0', '--dir', dir, '--log-level', 'silent', ...extra]
  const child =
    o.fdLimit === undefined
      ? spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(o.cwd ? { cwd: o.cwd } : {}) })
      : spawn('/bin/sh', ['-c', `ulimit -n ${o.fdLimit} && exec "$0" "$@"`, process.execPath, ...args], {
          stdio: ['ignore', 'pipe', 'pipe'],
          ...(o.cwd ? { cwd: o.cwd } : {}),
        })
  serveChildren.add(child)
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      serveChildren.delete(child)
      resolve({ code, signal, at: Date.now() })
    }),
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error('rufh serve did not print its URL within 10 s'))
    }, 10_000)
    let out = ''
    let err = ''
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString()
    })
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString()
      const m = /rufh serving (http:\/\/\S+) -> /.exec(out)
      if (m?.[1]) {
        clearTimeout(timer)
        resolve({ child, url: m[1], exited })
      }
    })
    void exited.then(({ code }) => {
      clearTimeout(timer)
      reject(new Error(`rufh serve exited (${code}) before listening: ${err}`))
    })
  })
}
