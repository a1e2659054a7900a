/**
 * JUnit XML: one test suite per interop version (and one for tus 1.0.0), one test case per check. A failed MUST is a `<failure>`, a check
 * that could not be carried out an `<error>`, a skip `<skipped>`; SHOULD warnings and MAY information pass, with the
 * finding in `<system-out>` (JUnit has no warning state).
 */
import type { CheckResult, RunReport } from '../types.js'
import { exchangeText, stripControls } from './exchange-text.js'

export function xmlEscape(s: string): string {
  return stripControls(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;')
}

function testcase(r: CheckResult): string {
  const name = xmlEscape(`${r.id} ${r.title}`)
  const cls = xmlEscape(`rufh.conformance.${r.protocol === 'tus' ? 'tus' : `interop-${r.interop}`}.${r.group}`)
  const time = (r.durationMs / 1000).toFixed(3)
  const evidence = xmlEscape(r.evidence.map((e) => exchangeText(e, '')).join('\n\n'))
  const msg = xmlEscape(r.message ?? '')
  const src = xmlEscape(r.source.map((s) => `${s.draft} ${s.section}`).join('; '))
  const props = `<properties><property name="level" value="${r.level}"/><property name="source" value="${src}"/></properties>`
  let inner = props
  if (r.verdict === 'failed') inner += `<failure message="${msg}" type="${r.level}">${evidence}</failure>`
  else if (r.verdict === 'error') inner += `<error message="${msg}" type="error">${evidence}</error>`
  else if (r.verdict === 'skipped') inner += `<skipped message="${msg}"/>`
  else if (r.verdict === 'warning' || r.verdict === 'info') {
    const text =
      r.verdict === 'warning'
        ? `WARNING (${r.level}): ${r.message ?? ''}`
        : `INFO: ${[r.message, ...r.notes].filter(Boolean).join('; ')}`
    inner += `<system-out>${xmlEscape(text)}${evidence ? `\n${evidence}` : ''}</system-out>`
  }
  return `    <testcase classname="${cls}" name="${name}" time="${time}">${inner}</testcase>`
}

export function renderJunit(report: RunReport): string {
  const suites = report.versions.map((v) => {
    const failures = v.results.filter((r) => r.verdict === 'failed').length
    const errors = v.results.filter((r) => r.verdict === 'error').length
    const skipped = v.results.filter((r) => r.verdict === 'skipped').length
    const time = (v.results.reduce((a, r) => a + r.durationMs, 0) / 1000).toFixed(3)
    return [
      `  <testsuite name="${v.protocol === 'tus' ? 'tus-1.0.0' : `interop-${v.interop} (draft ${v.draft})`}" tests="${v.results.length}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${time}">`,
      ...v.results.map(testcase),
      '  </testsuite>',
    ].join('\n')
  })
  const t = report.totals
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="rufh conformance ${xmlEscape(report.url)}" tests="${t.checks}" failures="${t.failed}" errors="${t.error}" skipped="${t.skipped}" time="${(report.durationMs / 1000).toFixed(3)}">`,
    ...suites,
    '</testsuites>',
    '',
  ].join('\n')
}
