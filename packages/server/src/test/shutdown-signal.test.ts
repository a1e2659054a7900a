/** The server's shutdown stop (shutdown-signal.ts) behaves as the AbortSignal it replaces does for its listeners. */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ShutdownSignal } from '../shutdown-signal.js'

test('abort calls each listener once, in the order added, and only those still listening', () => {
  const s = new ShutdownSignal()
  const calls: string[] = []
  const a = () => calls.push('a')
  const b = () => calls.push('b')
  const c = () => calls.push('c')
  s.addEventListener('abort', a)
  s.addEventListener('abort', b)
  s.addEventListener('abort', c)
  s.addEventListener('abort', a) // a duplicate, as on an EventTarget: still once
  s.removeEventListener('abort', b)
  assert.equal(s.aborted, false)
  s.abort()
  assert.equal(s.aborted, true)
  assert.deepEqual(calls, ['a', 'c'])
  s.abort()
  assert.deepEqual(calls, ['a', 'c'], 'a second abort calls nobody')
})

test('a listener removed during the abort, or added after it, is not called', () => {
  const s = new ShutdownSignal()
  const calls: string[] = []
  const b = () => calls.push('b')
  s.addEventListener('abort', () => {
    calls.push('a')
    s.removeEventListener('abort', b)
  })
  s.addEventListener('abort', b)
  s.abort()
  // As on an AbortSignal: b, removed by a during the abort, is not called.
  assert.deepEqual(calls, ['a'])
  s.addEventListener('abort', () => calls.push('late'))
  assert.deepEqual(calls, ['a'])
})

test('many listeners add and remove in constant time (no walk of the list per call)', () => {
  const s = new ShutdownSignal()
  const fns = Array.from({ length: 20_000 }, () => () => {})
  const t0 = process.hrtime.bigint()
  for (const fn of fns) s.addEventListener('abort', fn)
  for (const fn of fns) s.removeEventListener('abort', fn)
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  // An AbortSignal takes about a second for this here (each add walks the list: 20,000² / 2 comparisons).
  assert.ok(ms < 500, `${ms} ms`)
})
