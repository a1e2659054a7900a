/**
 * A newcomer's first commands, from a fresh clone: the tracked files (their working-tree content) are copied to a
 * temporary folder, `npm ci` installs there (from the warm npm cache; the root `prepare` script builds), and then
 * `npx --no-install rufh --help`, `npm start -- --help` and every `npx rufh ...` line of README.md's code blocks run.
 * Commands that would run a server until stopped (serve, netsim, synopses with [options]) run with --help; the others
 * run for real against a `rufh serve --port 0` of the fresh install, put where the README says 127.0.0.1:1080.
 */
import assert from 'node:assert/strict'
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process'
import { once } from 'node:events'
import { copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const repo = fileURLToPath(new URL('../../../../', import.meta.url))
const clone = mkdtempSync(join(tmpdir(), 'rufh-clone-'))
const state = join(clone, '.state')

/** The environment of a user's shell: none of the npm_* variables `npm test` sets for its own scripts. */
const env: NodeJS.ProcessEnv = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')),
)
Object.assign(env, { RUFH_STATE_DIR: state, npm_config_update_notifier: 'false', NO_COLOR: '1' })

interface Ran {
  code: number
  stdout: string
  stderr: string
}

function run(cmd: string, args: readonly string[], timeoutMs = 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: clone, env, timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr })
    })
  })
}

/** Shell words of one README line: whitespace-separated, with '...' and "..." quoting; stops at a comment. */
function words(line: string): string[] {
  const out: string[] = []
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(#.*$)|(\S+)/g)) {
    if (m[3] !== undefined) break
    out.push(m[1] ?? m[2] ?? m[4]!)
  }
  return out
}

/** The `npx rufh ...` lines of README.md's fenced code blocks (their first line, for wrapped synopses). */
function readmeCommands(): string[][] {
  const md = readFileSync(join(clone, 'README.md'), 'utf8')
  const cmds: string[][] = []
  for (const block of md.matchAll(/^```[^\n]*\n([\s\S]*?)^```/gm)) {
    for (const line of block[1]!.split('\n')) if (/^npx rufh\b/.test(line)) cmds.push(words(line).slice(2))
  }
  return cmds
}

describe('from a fresh clone: npm ci, then the README commands', { timeout: 240_000 }, () => {
  let serve: ChildProcess | undefined
  let url = ''

  before(async () => {
    // The tracked files as they are in the working tree (a file deleted but not yet committed is left out).
    const files = execFileSync('git', ['ls-files', '-z'], { cwd: repo, encoding: 'utf8' }).split('\0').filter(Boolean)
    for (const f of files) {
      if (!existsSync(join(repo, f)) || !lstatSync(join(repo, f)).isFile()) continue
      mkdirSync(dirname(join(clone, f)), { recursive: true })
      copyFileSync(join(repo, f), join(clone, f))
    }
    const ci = await run('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund'], 180_000)
    assert.equal(ci.code, 0, `npm ci failed:\n${ci.stdout}\n${ci.stderr}`)
  })

  after(async () => {
    if (serve && serve.exitCode === null) {
      const exited = once(serve, 'exit')
      serve.kill('SIGTERM')
      const [code] = await exited
      assert.equal(code, 0, 'rufh serve did not stop cleanly on SIGTERM')
    }
    rmSync(clone, { recursive: true, force: true })
  })

  it('npm ci links node_modules/.bin/rufh and builds dist/; npx --no-install rufh --help works', async () => {
    assert.ok(existsSync(join(clone, 'node_modules', '.bin', 'rufh')), 'no node_modules/.bin/rufh')
    assert.ok(existsSync(join(clone, 'packages', 'cli', 'dist', 'bin.js')), 'prepare did not build')
    const r = await run('npx', ['--no-install', 'rufh', '--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /^usage: rufh <command> \[options\]\n/)
    for (const c of ['serve', 'upload', 'conformance', 'load', 'netsim'])
      assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'))
  })

  it('npm start -- --help runs rufh serve', async () => {
    const r = await run('npm', ['start', '--silent', '--', '--help'])
    assert.equal(r.code, 0, r.stderr)
    assert.match(r.stdout, /usage: rufh serve \[options\]/)
  })

  it('every `npx rufh` command in README.md works (every command is shown)', async () => {
    const cmds = readmeCommands()
    const shown = new Set(cmds.map((c) => c[0]))
    for (const c of ['--help', 'serve', 'upload', 'conformance', 'load', 'netsim'])
      assert.ok(shown.has(c), `README shows no 'npx rufh ${c}'`)

    // The server runs through the link npm made (what npx runs), in one process that SIGTERM stops.
    const bin = join(clone, 'node_modules', '.bin', 'rufh')
    serve = spawn(
      process.execPath,
      [bin, 'serve', '--port', '0', '--dir', join(clone, '.uploads'), '--log-level', 'silent'],
      {
        cwd: clone,
        env,
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    url = await new Promise<string>((resolve, reject) => {
      let out = ''
      serve!.stdout!.on('data', (d: Buffer) => {
        out += d.toString()
        const m = /rufh serving (http:\/\/\S+) -> /.exec(out)
        if (m) resolve(m[1]!)
      })
      serve!.once('exit', (code) => reject(new Error(`rufh serve exited ${code}: ${out}`)))
    })
    const origin = new URL(url).origin

    for (const cmd of cmds) {
      const runsAServer = cmd[0] === 'serve' || cmd[0] === 'netsim' || cmd.some((w) => w.startsWith('['))
      const args = runsAServer ? [cmd[0]!, '--help'] : cmd.map((w) => w.replaceAll('http://127.0.0.1:1080', origin))
      const r = await run('npx', ['--no-install', 'rufh', ...args], 90_000)
      assert.equal(r.code, 0, `npx rufh ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`)
      if (runsAServer || cmd[0] === '--help') assert.match(r.stdout, /^usage: rufh /, args.join(' '))
    }
  })
})
