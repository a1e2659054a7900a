import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { ExchangeResult } from '@rufh/wire'
import { renderJson } from '../report/json.js'
import { renderJunit } from '../report/junit.js'
import { renderMarkdown } from '../report/markdown.js'
import { renderTerminal } from '../report/terminal.js'
import { exitCodeOf, totalsOf, verdictOf } from '../runner.js'
import type { CheckResult, RunReport } from '../types.js'

const ex: ExchangeResult = {
  request: {
    method: 'PATCH',
    url: 'http://127.0.0.1:1/files/abc',
    headers: [
      ['Host', '127.0.0.1:1'],
      ['Upload-Offset', '9'],
    ],
    bodyBytesSent: 4,
    bodyBytesPlanned: 4,
    plan: 'whole',
  },
  interim: [],
  final: {
    status: 400,
    reason: 'Bad Request',
    version: 'HTTP/1.1',
    headers: [['Content-Type', 'application/problem+json']],
    body: Buffer.from('{"type":"about:blank","detail":"<bad> & \\"worse\\""}'),
    bodyTruncated: false,
    at: 3.2,
    time: 0,
  },
  closedByPeer: false,
  cutByClient: false,
  durationMs: 4,
}

function result(id: string, level: CheckResult['level'], status: CheckResult['status']): CheckResult {
  return {
    id,
    title: `title of ${id} | with a pipe`,
    group: 'appends',
    level,
    source: [{ draft: '-12', section: '§4.4 Upload Append' }],
    protocol: 'ietf',
    interop: 9,
    draft: '-12',
    status,
    verdict: verdictOf(level, status),
    ...(status === 'fail' ? { message: 'expected 409' } : {}),
    notes: [],
    durationMs: 12,
    requests: 2,
    evidence: status === 'fail' ? [ex] : [],
  }
}

const results = [
  result('B-09', 'MUST', 'fail'),
  result('B-07', 'SHOULD', 'fail'),
  result('X-01', 'MAY', 'pass'),
  result('N9-01', 'MUST', 'pass'),
  result('N9-06', 'MUST', 'skip'),
]
function tusResult(id: string, level: CheckResult['level'], status: CheckResult['status']): CheckResult {
  const { interop: _i, draft: _d, ...r } = result(id, level, status)
  return { ...r, protocol: 'tus', group: 'checksum', source: [{ draft: 'tus 1.0.0', section: 'Checksum' }] }
}

const tusResults = [
  tusResult('T-21', 'MUST', 'fail'),
  tusResult('T-20', 'MUST', 'pass'),
  tusResult('T-13', 'MUST', 'skip'),
]
const report: RunReport = {
  url: 'http://127.0.0.1:1/files/',
  startedAt: new Date(0).toISOString(),
  durationMs: 1234,
  detection: [
    { protocol: 'ietf', interop: 9, supported: true, detail: 'a 104 with Location' },
    { protocol: 'tus', supported: true, detail: 'OPTIONS: Tus-Version 1.0.0' },
  ],
  versions: [
    { protocol: 'ietf', interop: 9, draft: '-12', detectedBy: '104', limits: { 'max-size': 10 }, results },
    { protocol: 'tus', detectedBy: 'options', extensions: ['creation', 'checksum'], results: tusResults },
  ],
  totals: totalsOf([...results, ...tusResults]),
}

test('verdicts: MUST fails the run, SHOULD warns, MAY informs', () => {
  assert.deepEqual(
    results.map((r) => r.verdict),
    ['failed', 'warning', 'info', 'passed', 'skipped'],
  )
  assert.equal(exitCodeOf(report), 1)
  assert.equal(verdictOf('SHOULD', 'error'), 'warning')
  assert.equal(verdictOf('MUST', 'error'), 'error')
})

test('terminal report: counts per version and the exact exchange of a failure', () => {
  const t = renderTerminal(report)
  assert.match(t, /Interop 9 \(draft -12\) — 5 checks: 1 passed, 1 failed, 0 errors, 1 warnings, 1 info, 1 skipped/)
  assert.match(t, /FAIL B-09/)
  assert.match(t, /> PATCH \/files\/abc HTTP\/1\.1/)
  assert.match(t, /> Upload-Offset: 9/)
  assert.match(t, /< HTTP\/1\.1 400 Bad Request/)
  assert.match(t, /FAILED/)
  assert.match(t, /yes tus 1\.0\.0: OPTIONS/)
  assert.match(t, /\ntus 1\.0\.0 — 3 checks: 1 passed, 1 failed, 0 errors, 0 warnings, 0 info, 1 skipped\n/)
  assert.match(t, /extensions: creation, checksum/)
  assert.match(t, /T-21 \(MUST, tus 1\.0\.0\): expected 409/)
})

test('JSON report round-trips and renders bodies as text', () => {
  const j = JSON.parse(renderJson(report)) as RunReport & {
    versions: { results: { evidence: { final: { body: string } }[] }[] }[]
  }
  assert.equal(j.totals.failed, 2)
  assert.equal(j.versions[1]!.protocol, 'tus')
  assert.match(j.versions[0]!.results[0]!.evidence[0]!.final.body, /about:blank/)
})

test('JUnit XML: failure for MUST, system-out for SHOULD, skipped, escaped text', () => {
  const x = renderJunit(report)
  assert.match(x, /<testsuite name="interop-9 \(draft -12\)" tests="5" failures="1" errors="0" skipped="1"/)
  assert.match(x, /<failure message="expected 409" type="MUST">/)
  assert.match(x, /<system-out>WARNING \(SHOULD\)/)
  assert.match(x, /&lt;bad&gt; &amp;/)
  assert.doesNotMatch(x, /<bad>/)
  assert.match(x, /<testsuite name="tus-1\.0\.0" tests="3" failures="1" errors="0" skipped="1"/)
  assert.match(x, /classname="rufh\.conformance\.tus\.checksum" name="T-21/)
})

test('Markdown: a summary row per version and an escaped row per check', () => {
  const m = renderMarkdown(report)
  assert.match(m, /\| 9 \| -12 \| 5 \| 1 \| 1 \| 0 \| 1 \| 1 \| 1 \|/)
  assert.match(m, /title of B-09 \\\| with a pipe/)
  assert.match(m, /\| tus \| 1\.0\.0 \| 3 \| 1 \| 1 \| 0 \| 0 \| 0 \| 1 \|/)
  assert.match(m, /\| tus \| T-21 \| MUST \| \*\*FAIL\*\* \|/)
})
