/**
 * Every command's usage errors have one shape and one exit code: `rufh <command>: message`, then
 * `usage: <synopsis> (rufh <command> --help lists the options)`, exit 2, nothing on stdout. And every --help that
 * takes a SIZE says the one size rule.
 */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { commandNames } from '../commands.js'
import { rufh } from './run.js'

const SYNOPSIS: Record<string, string> = {
  serve: 'rufh serve [options]',
  gateway: 'rufh gateway --backend URL [options]',
  upload: 'rufh upload FILE... URL [options]',
  conformance: 'rufh conformance URL [options]',
  load: 'rufh load URL [options]',
  netsim: 'rufh netsim [options]',
}

const U = 'http://127.0.0.1:9/files/'

/** [command, args after it, the message expected after `rufh <command>: `] */
const cases: [string, string[], RegExp][] = [
  ['serve', ['--bogus'], /^Unknown option '--bogus'/],
  ['serve', ['--max-size', '5q'], /^invalid --max-size '5q'/],
  ['serve', ['--max-age', '1500ms'], /^--max-age must be a whole number of seconds/],
  ['serve', ['--port', '70000'], /^--port must be at most 65535$/],
  ['serve', ['--tls-cert', '/nonexistent.pem'], /^--tls-cert and --tls-key go together$/],
  ['serve', ['--tls-cert', '/nonexistent.pem', '--tls-key', '/nonexistent.key'], /^--tls-cert: cannot read/],
  ['serve', ['--redis', 'http://h'], /^--redis takes a redis:\/\/ or rediss:\/\/ URL/],
  ['serve', ['--redis-lock-ttl', '2s'], /^--redis-lock-ttl needs --redis$/],
  ['serve', ['--redis', 'redis://h', '--redis-lock-ttl', '50ms'], /^--redis-lock-ttl must be 200ms to 10m/],
  ['serve', ['--redis', 'redis://h', '--redis-lock-ttl', 'soon'], /^invalid --redis-lock-ttl 'soon'/],
  ['serve', ['--hooks-url', 'ftp://h'], /^--hooks-url takes an http:\/\/ or https:\/\/ URL/],
  ['gateway', [], /^--backend URL is required$/],
  ['gateway', ['--backend', 'ftp://x'], /^--backend takes an http:\/\/ or https:\/\/ URL \(got 'ftp:\/\/x'\)$/],
  ['gateway', ['--backend', U, '--mode', 'fast'], /^--mode must be spool or stream \(got 'fast'\)$/],
  ['gateway', ['--backend', U, '--idle-timeout', '0'], /^--idle-timeout must be at least 1 s$/],
  ['gateway', ['--backend', U, '--idle-timeout', 'soon'], /^invalid --idle-timeout 'soon'/],
  ['gateway', ['--backend', U, '--forward-retries=-1'], /^invalid --forward-retries '-1': expected a whole number$/],
  ['gateway', ['--backend', U, '--response-limit', '5q'], /^invalid --response-limit '5q'/],
  ['gateway', ['--backend', U, '--upload-path', 'up'], /^--upload-path must start with '\/' \(got 'up'\)$/],
  ['gateway', ['--backend', U, '--max-size', '5q'], /^invalid --max-size '5q'/],
  ['gateway', ['--backend', U, '--port', '70000'], /^--port must be at most 65535$/],
  ['gateway', ['--backend', U, '--tls-cert', '/nonexistent.pem'], /^--tls-cert and --tls-key go together$/],
  ['gateway', ['--backend', U, '--redis', 'http://h'], /^--redis takes a redis:\/\/ or rediss:\/\/ URL/],
  ['gateway', ['--backend', U, '--s3-prefix', 'a/'], /^--s3-prefix needs --s3-bucket$/],
  ['gateway', ['--backend', U, '--s3-endpoint', 'http://h'], /^--s3-endpoint needs --s3-bucket$/],
  ['serve', ['--s3-path-style'], /^--s3-path-style needs --s3-bucket$/],
  ['serve', ['--s3-spool-streamed-parts'], /^--s3-spool-streamed-parts needs --s3-bucket$/],
  ['gateway', ['--backend', U, '--s3-bucket', 'Bad_Name'], /^--s3-bucket: 'Bad_Name' is not a bucket name$/],
  ['gateway', ['--backend', U, '--s3-bucket', 'bkt', '--s3-endpoint', 'ftp://x'], /^--s3-endpoint takes an http:\/\//],
  ['gateway', ['--backend', U, '--s3-bucket', 'bkt', '--s3-part-size', '1MiB'], /^--s3-part-size must be between 5MiB/],
  ['gateway', ['--backend', U, '--s3-bucket', 'bkt', '--s3-part-size', '5q'], /^invalid --s3-part-size '5q'/],
  ['gateway', ['--backend', U, '--mode', 'stream', '--s3-bucket', 'bkt'], /^--s3-bucket is for spool mode/],
  ['gateway', ['--backend', U, '--bogus'], /^Unknown option '--bogus'/],
  ['upload', [], /^expected at least one FILE and a URL$/],
  ['upload', ['f', 'ftp://x/'], /takes an http:\/\/ or https:\/\/ URL \(got 'ftp:\/\/x\/'\)$/],
  ['upload', ['f', U, '--chunk-size', '512q'], /^invalid --chunk-size '512q'/],
  ['upload', ['f', U, '--chunk-size', '0'], /^--chunk-size must be at least 1 bytes$/],
  ['upload', ['f', U, '--parallel', '0'], /^--parallel must be at least 1$/],
  ['upload', ['f', U, '--interop', '11'], /^--interop must be 3 to 10 or tus/],
  ['upload', ['f', U, '--protocol', 'ftp'], /^--protocol must be ietf or tus-v1 \(got 'ftp'\)$/],
  ['upload', ['f', U, '-H', 'novalue'], /^--header must look like 'Name: value'/],
  ['upload', ['f', U, '--bogus'], /^Unknown option '--bogus'/],
  ['conformance', [], /^expected one URL$/],
  ['conformance', ['ftp://x/'], /^URL takes an http:\/\/ or https:\/\/ URL/],
  ['conformance', [U, '--timeout', '5x'], /^invalid --timeout '5x'/],
  ['conformance', [U, '--concurrency', '0'], /^--concurrency must be at least 1$/],
  ['conformance', [U, '--interop', '2'], /^--interop takes 3,4,5,6,7,8,9,10 or all$/],
  ['conformance', [U, '--protocol', 'x'], /^--protocol must be ietf, tus or all \(got 'x'\)$/],
  ['load', [], /^one URL expected/],
  ['load', ['ftp://x/'], /^URL takes an http:\/\/ or https:\/\/ URL/],
  ['load', [U, '--chunk-size', '1.1k'], /^--chunk-size '1.1k' is not a whole number of bytes$/],
  ['load', [U, '--duration', 'soon'], /^invalid --duration 'soon'/],
  ['load', [U, '--size', '2MiB-1MiB'], /.+/],
  ['load', [U, '--interrupt', '1.5'], /^--interrupt must be at most 1$/],
  ['load', [U, '--creation', 'eager'], /^--creation must be careful or optimistic/],
  ['netsim', ['--bogus'], /^Unknown option '--bogus'/],
  ['netsim', ['--listen', '127.0.0.1:0'], /^--listen needs --upstream$/],
  ['netsim', ['--scenario', '/nonexistent.json', '--no-api'], /^--scenario: cannot read scenario/],
  [
    'netsim',
    ['--listen', '0.0.0.0:0', '--upstream', '127.0.0.1:9', '--no-api'],
    /not a loopback address.*--allow-remote/,
  ],
]

describe('usage errors: one shape, exit 2, in every command', { timeout: 120_000, concurrency: 4 }, () => {
  for (const [command, args, message] of cases) {
    it(`rufh ${command} ${args.join(' ')}`, async () => {
      const r = await rufh([command, ...args])
      assert.equal(r.code, 2, r.stderr)
      const lines = r.stderr.split('\n')
      // netsim prints its seed before it learns that an address is refused; nothing else reaches stdout.
      if (command !== 'netsim') assert.equal(r.stdout, '')
      assert.equal(lines.length, 3, r.stderr)
      const prefix = `rufh ${command}: `
      assert.ok(lines[0]!.startsWith(prefix), r.stderr)
      assert.match(lines[0]!.slice(prefix.length), message)
      assert.equal(lines[1], `usage: ${SYNOPSIS[command]} (rufh ${command} --help lists the options)`)
      assert.equal(lines[2], '')
    })
  }

  it('rufh alone and an unknown command: the same shape for the command table', async () => {
    for (const [args, msg] of [
      [[], `rufh: expected a command (${commandNames.join(', ')})`],
      [['bogus'], `rufh: unknown command 'bogus' (${commandNames.join(', ')})`],
    ] as const) {
      const r = await rufh(args)
      assert.equal(r.code, 2)
      assert.equal(r.stderr, `${msg}\nusage: rufh <command> [options] (rufh --help lists the commands)\n`)
    }
  })

  it('--help exits 0 on stdout; every --help that takes a SIZE or DURATION states the rule', async () => {
    const top = await rufh(['--help'])
    assert.equal(top.code, 0)
    for (const c of Object.keys(SYNOPSIS)) assert.match(top.stdout, new RegExp(`^  ${c} `, 'm'))
    for (const c of Object.keys(SYNOPSIS)) {
      const r = await rufh([c, '--help'])
      assert.equal(r.code, 0, r.stderr)
      assert.equal(r.stderr, '')
      assert.ok(r.stdout.startsWith(`usage: ${SYNOPSIS[c]}\n`), r.stdout)
      const sizes = / SIZE\b/.test(r.stdout)
      const durations = / DURATION\b/.test(r.stdout)
      assert.equal(sizes, c === 'serve' || c === 'gateway' || c === 'upload' || c === 'load', `${c} takes sizes?`)
      if (sizes) assert.match(r.stdout, /k, K, KiB = 1024 bytes; KB, kB = 1000/)
      const takesDurations = ['serve', 'gateway', 'conformance', 'load'].includes(c)
      assert.equal(durations, takesDurations, `${c} takes durations?`)
      if (durations) assert.match(r.stdout, /DURATION is seconds, or a number with a unit: 500ms, 30s/)
    }
  })
})
