/** The one argument parser: every value rule as a table, and the usage-error shape. */
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import {
  hintLine,
  parseChoice,
  parseDuration,
  parseFlags,
  parseHeader,
  parseInteger,
  parseNumber,
  parseSeconds,
  parseSize,
  parseUrl,
  UsageError,
  usageFailed,
} from '../args.js'

/** Runs `f` and returns its result, or the UsageError's message prefixed with '!'. */
function outcome<T>(f: () => T): T | string {
  try {
    return f()
  } catch (e) {
    assert.ok(e instanceof UsageError, `not a UsageError: ${e}`)
    assert.equal(e.code, 'ERR_USAGE')
    return `!${e.message}`
  }
}

describe('parseSize: k, K, KiB = 1024; KB, kB = 1000', { timeout: 10_000 }, () => {
  const table: [string, number | RegExp][] = [
    ['0', 0],
    ['1048576', 1048576],
    ['512k', 524288],
    ['512K', 524288],
    ['512KiB', 524288],
    ['512kib', 524288],
    ['512KB', 512000],
    ['512kB', 512000],
    ['512kb', 512000],
    ['1.5MiB', 1572864],
    ['8M', 8 * 1024 ** 2],
    ['10MB', 10_000_000],
    ['1G', 1024 ** 3],
    ['1GB', 1e9],
    ['2TiB', 2 * 1024 ** 4],
    ['1TB', 1e12],
    ['100b', 100],
    [' 64 KiB ', 65536],
    ['512q', /^!invalid --x '512q' \(examples: /],
    ['', /^!invalid --x ''/],
    ['-1', /^!invalid --x '-1'/],
    ['1e3', /^!invalid --x '1e3'/],
    ['1.1k', /^!--x '1.1k' is not a whole number of bytes$/],
    ['0.5', /^!--x '0.5' is not a whole number of bytes$/],
    ['99999999999TiB', /^!--x '99999999999TiB' is too large$/],
  ]
  for (const [text, want] of table) {
    it(`'${text}'`, () => {
      const got = outcome(() => parseSize(text, '--x'))
      if (want instanceof RegExp) assert.match(String(got), want)
      else assert.equal(got, want)
    })
  }
  it('bounds', () => {
    assert.equal(
      outcome(() => parseSize('0', '--chunk-size', { min: 1 })),
      '!--chunk-size must be at least 1 bytes',
    )
    assert.equal(
      outcome(() => parseSize('2k', '--x', { max: 2000 })),
      '!--x must be at most 2000 bytes',
    )
    assert.equal(parseSize('2KB', '--x', { max: 2000 }), 2000)
  })
})

describe('parseDuration (milliseconds; a bare number is seconds) and parseSeconds', { timeout: 10_000 }, () => {
  const table: [string, number | RegExp][] = [
    ['30', 30_000],
    ['30s', 30_000],
    ['500ms', 500],
    ['2m', 120_000],
    ['2min', 120_000],
    ['1h', 3_600_000],
    ['1.5s', 1500],
    [' 5 s ', 5000],
    ['5x', /^!invalid --t '5x' \(examples: 30, 30s, 500ms, 2m, 1h\)$/],
    ['-1s', /^!invalid --t/],
    ['s', /^!invalid --t/],
  ]
  for (const [text, want] of table) {
    it(`'${text}'`, () => {
      const got = outcome(() => parseDuration(text, '--t'))
      if (want instanceof RegExp) assert.match(String(got), want)
      else assert.equal(got, want)
    })
  }
  it('parseSeconds takes whole seconds only, with a minimum', () => {
    assert.equal(parseSeconds('3600', '--max-age', 1), 3600)
    assert.equal(parseSeconds('1h', '--max-age', 1), 3600)
    assert.equal(parseSeconds('2000ms', '--max-age', 1), 2)
    assert.equal(
      outcome(() => parseSeconds('1500ms', '--max-age')),
      "!--max-age must be a whole number of seconds (got '1500ms')",
    )
    assert.equal(
      outcome(() => parseSeconds('0', '--max-age', 1)),
      '!--max-age must be at least 1 s',
    )
  })
})

describe('integers, numbers, choices, URLs, headers', { timeout: 10_000 }, () => {
  it('parseInteger', () => {
    assert.equal(parseInteger('42', '--n'), 42)
    assert.equal(parseInteger(' 7 ', '--n'), 7)
    assert.equal(
      outcome(() => parseInteger('4.5', '--n')),
      "!invalid --n '4.5': expected a whole number",
    )
    assert.equal(
      outcome(() => parseInteger('-1', '--n')),
      "!invalid --n '-1': expected a whole number",
    )
    assert.equal(
      outcome(() => parseInteger('x', '--n')),
      "!invalid --n 'x': expected a whole number",
    )
    assert.equal(
      outcome(() => parseInteger('0', '--users', { min: 1 })),
      '!--users must be at least 1',
    )
    assert.equal(
      outcome(() => parseInteger('65536', '--port', { max: 65535 })),
      '!--port must be at most 65535',
    )
    assert.equal(
      outcome(() => parseInteger('99999999999999999999', '--n')),
      "!--n '99999999999999999999' is too large",
    )
  })
  it('parseNumber', () => {
    assert.equal(parseNumber('0.25', '--p', { max: 1 }), 0.25)
    assert.equal(parseNumber('.5', '--p', { max: 1 }), 0.5)
    assert.equal(parseNumber('1', '--p', { max: 1 }), 1)
    assert.equal(
      outcome(() => parseNumber('1.5', '--p', { max: 1 })),
      '!--p must be at most 1',
    )
    assert.equal(
      outcome(() => parseNumber('-0.1', '--p')),
      "!invalid --p '-0.1': expected a number",
    )
    assert.equal(
      outcome(() => parseNumber('NaN', '--p')),
      "!invalid --p 'NaN': expected a number",
    )
  })
  it('parseChoice', () => {
    assert.equal(parseChoice('tus-v1', '--protocol', ['ietf', 'tus-v1']), 'tus-v1')
    assert.equal(
      outcome(() => parseChoice('ftp', '--protocol', ['ietf', 'tus-v1'])),
      "!--protocol must be ietf or tus-v1 (got 'ftp')",
    )
    assert.equal(
      outcome(() => parseChoice('x', '--p', ['a', 'b', 'c'])),
      "!--p must be a, b or c (got 'x')",
    )
  })
  it('parseUrl', () => {
    assert.equal(parseUrl('http://127.0.0.1:1080/files/', 'URL').href, 'http://127.0.0.1:1080/files/')
    assert.equal(parseUrl('HTTPS://Example.org', 'URL').href, 'https://example.org/')
    assert.equal(parseUrl('rediss://h:6379/2', '--redis', ['redis', 'rediss']).port, '6379')
    assert.equal(
      outcome(() => parseUrl('ftp://x/', 'URL')),
      "!URL takes an http:// or https:// URL (got 'ftp://x/')",
    )
    assert.equal(
      outcome(() => parseUrl('localhost:1080', '--hooks-url')),
      "!--hooks-url takes an http:// or https:// URL (got 'localhost:1080')",
    )
    assert.equal(
      outcome(() => parseUrl('http://h', '--redis', ['redis', 'rediss'])),
      "!--redis takes a redis:// or rediss:// URL (got 'http://h')",
    )
  })
  it('parseHeader', () => {
    assert.deepEqual(parseHeader('X-Token:  abc ', '--header'), ['x-token', 'abc'])
    assert.deepEqual(parseHeader('a: b: c', '--header'), ['a', 'b: c'])
    assert.equal(
      outcome(() => parseHeader('novalue', '--header')),
      "!--header must look like 'Name: value' (got 'novalue')",
    )
    assert.equal(
      outcome(() => parseHeader(': v', '--header')),
      "!--header must look like 'Name: value' (got ': v')",
    )
    assert.equal(
      outcome(() => parseHeader('a b: v', '--header')),
      "!--header must look like 'Name: value' (got 'a b: v')",
    )
  })
})

describe('parseFlags and usageFailed', { timeout: 10_000 }, () => {
  const options = { n: { type: 'string' }, on: { type: 'boolean' } } as const
  it('parses strictly; parseArgs errors become UsageErrors', () => {
    assert.deepEqual({ ...parseFlags({ args: ['--n', '3', '--on'], options }).values }, { n: '3', on: true })
    assert.match(String(outcome(() => parseFlags({ args: ['--bogus'], options }))), /^!Unknown option '--bogus'/)
    assert.match(
      String(outcome(() => parseFlags({ args: ['--n'], options }))),
      /^!Option '--n <value>' argument missing/,
    )
    assert.match(String(outcome(() => parseFlags({ args: ['extra'], options }))), /^!Unexpected argument 'extra'/)
  })
  it('prints `rufh <command>: message` and the hint line, returns 2; rethrows anything else', () => {
    let text = ''
    const err = { write: (s: string) => (text += s) }
    assert.equal(usageFailed('load', 'rufh load URL [options]', new UsageError('bad'), err), 2)
    assert.equal(text, 'rufh load: bad\nusage: rufh load URL [options] (rufh load --help lists the options)\n')
    assert.equal(
      hintLine('serve', 'rufh serve [options]'),
      'usage: rufh serve [options] (rufh serve --help lists the options)',
    )
    const other = new Error('not usage')
    assert.throws(() => usageFailed('load', 'x', other, err), other)
  })
})
