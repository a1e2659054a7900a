import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  readBoolean,
  readInteger,
  readIntegerDictionary,
  writeBoolean,
  writeInteger,
  writeIntegerDictionary,
} from './sf.js'

test('readInteger accepts non-negative SF Integers only', () => {
  assert.equal(readInteger('0'), 0)
  assert.equal(readInteger('42'), 42)
  assert.equal(readInteger(' 42 '), 42)
  assert.equal(readInteger('42;a=1'), 42)
  assert.equal(readInteger('999999999999999'), 999_999_999_999_999)
  for (const bad of ['-1', '1.0', '1.5', 'abc', '', '1e3', '1000000000000000', '"1"', '?1', '1,2', null, undefined])
    assert.equal(readInteger(bad), undefined, String(bad))
})

test('readBoolean accepts ?0 and ?1 only', () => {
  assert.equal(readBoolean('?0'), false)
  assert.equal(readBoolean('?1'), true)
  assert.equal(readBoolean('?1;x=2'), true)
  for (const bad of ['1', 'true', '?2', '', 'yes', '?', null]) assert.equal(readBoolean(bad), undefined, String(bad))
})

test('readIntegerDictionary separates Integer members from the rest', () => {
  const d = readIntegerDictionary('max-size=100, min-size=0, foo="x", bar=1.5, expires=60')
  assert.deepEqual(
    [...(d?.values ?? [])],
    [
      ['max-size', 100],
      ['min-size', 0],
      ['expires', 60],
    ],
  )
  assert.deepEqual(d?.invalid, ['foo', 'bar'])
  assert.equal(readIntegerDictionary('max-size=('), undefined)
  assert.equal(readIntegerDictionary(undefined), undefined)
})

test('writers produce valid Structured Fields and refuse invalid values', () => {
  assert.equal(writeInteger(7), '7')
  assert.equal(writeBoolean(true), '?1')
  assert.equal(writeIntegerDictionary([['min-size', 0]]), 'min-size=0')
  assert.throws(() => writeInteger(-1), RangeError)
  assert.throws(() => writeInteger(1.5), RangeError)
  assert.throws(() => writeInteger(1e16), RangeError)
})
