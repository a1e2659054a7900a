import assert from 'node:assert/strict'
import { test } from 'node:test'
import { isLoopbackHost, parseHostPort, resolveAddress } from './address.js'
import { NetsimError } from './errors.js'

test('parseHostPort reads host:port, [v6]:port and :port, and rejects the rest', () => {
  assert.deepEqual(parseHostPort('127.0.0.1:8474', 'x'), { host: '127.0.0.1', port: 8474 })
  assert.deepEqual(parseHostPort('[::1]:0', 'x'), { host: '::1', port: 0 })
  assert.deepEqual(parseHostPort(':80', 'x'), { host: '', port: 80 })
  for (const bad of ['', '127.0.0.1', '127.0.0.1:', '127.0.0.1:65536', '::1:80', '[::1]80', 'h:p']) {
    assert.throws(
      () => parseHostPort(bad, 'x'),
      (e: unknown) => e instanceof NetsimError && e.code === 'ERR_INVALID_FIELD',
      bad,
    )
  }
})

test('only loopback addresses pass unless non-loopback is allowed', () => {
  for (const h of ['127.0.0.1', '127.5.6.7', '::1', 'localhost', 'LOCALHOST', '::ffff:127.0.0.1']) {
    assert.ok(isLoopbackHost(h), h)
  }
  for (const h of ['0.0.0.0', '', '10.0.0.1', '::', 'example.com', '128.0.0.1', '::ffff:10.0.0.1']) {
    assert.ok(!isLoopbackHost(h), h)
  }
  assert.throws(
    () => resolveAddress('0.0.0.0:80', 'listen', false),
    (e: unknown) =>
      e instanceof NetsimError && e.code === 'ERR_NOT_LOOPBACK' && e.status === 400 && /allow/.test(e.message),
  )
  assert.throws(() => resolveAddress(':80', 'listen', false), /every interface/)
  assert.deepEqual(resolveAddress('0.0.0.0:80', 'listen', true), { host: '0.0.0.0', port: 80 })
  assert.deepEqual(resolveAddress('localhost:5', 'upstream', false), { host: '127.0.0.1', port: 5 })
})
