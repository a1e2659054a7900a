import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { NetsimError } from './errors.js'
import { loadScenario, parseScenario, playScenario } from './scenario.js'
import { echoServer, sleep, withNetsim } from './test-helpers.js'

test('parseScenario names the entry and the problem', () => {
  const cases: [unknown, RegExp][] = [
    [[], /must be a JSON object/],
    [{ timeline: [{ add: { type: 'latency' } }] }, /timeline\[0\]: "at" must be/],
    [
      { timeline: [{ at: 0, add: { type: 'latency' }, remove: 'x' }] },
      /timeline\[0\]: needs exactly one of add, update, remove, enabled; found 2/,
    ],
    [
      {
        timeline: [
          { at: 0, add: { type: 'latency' } },
          { at: 5, add: { type: 'lag' } },
        ],
      },
      /timeline\[1\]\.add: invalid toxic type "lag"/,
    ],
    [
      { timeline: [{ at: 0, add: { type: 'latency', attributes: { latency: 'x' } } }] },
      /latency\.attributes\.latency must be an integer/,
    ],
    [{ timeline: [{ at: 0, update: { attributes: {} } }] }, /timeline\[0\]\.update: needs the toxic "name"/],
    [{ timeline: [{ at: 0, remove: 'x', when: 1 }] }, /unknown key when/],
    [{ seed: {}, timeline: [] }, /seed/],
    [{ timelime: [] }, /unknown key timelime/],
  ]
  for (const [input, message] of cases) {
    assert.throws(
      () => parseScenario(input),
      (e: unknown) => e instanceof NetsimError && e.code === 'ERR_SCENARIO' && message.test(e.message),
      String(message),
    )
  }
  const ok = parseScenario({ seed: 'abc', timeline: [{ at: 10, proxy: 'p', enabled: false }] })
  assert.deepEqual(ok, { seed: 'abc', timeline: [{ at: 10, proxy: 'p', enabled: false }] })
})

test('a scenario file plays its timeline: toxics appear, change and go at their times', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  const dir = await mkdtemp(join(tmpdir(), 'netsim-scenario-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'scenario.json')
  await writeFile(
    file,
    JSON.stringify({
      proxies: [{ name: 'timeline', upstream: echo.address }],
      timeline: [
        { at: 0, add: { name: 'lag', type: 'latency', attributes: { latency: 20 } } },
        { at: 150, update: { name: 'lag', attributes: { latency: 40 } } },
        { at: 150, add: { type: 'bandwidth', stream: 'upstream', attributes: { rate: 100 } } },
        { at: 300, remove: 'lag' },
        { at: 300, enabled: false },
      ],
    }),
  )
  const scenario = await loadScenario(file)
  await withNetsim({ seed: 1 }, async (ns) => {
    const run = await playScenario(ns, scenario)
    const p = ns.proxy('timeline')
    const snapshot = () => ({
      enabled: p.enabled,
      toxics: p.toJSON().toxics.map((x) => `${x['name']}:${JSON.stringify(x['attributes'])}`),
    })
    await sleep(75)
    assert.deepEqual(snapshot(), { enabled: true, toxics: ['lag:{"latency":20,"jitter":0}'] })
    await sleep(150)
    assert.deepEqual(snapshot(), {
      enabled: true,
      toxics: ['bandwidth_upstream:{"rate":100}', 'lag:{"latency":40,"jitter":0}'],
    })
    await run.done
    assert.deepEqual(snapshot(), { enabled: false, toxics: ['bandwidth_upstream:{"rate":100}'] })
  })
})

test('a failing entry rejects the run with its position, and later entries are cancelled', async (t) => {
  const echo = await echoServer()
  t.after(() => echo.close())
  await withNetsim({ seed: 1 }, async (ns) => {
    const p = await ns.createProxy({ name: 'fails', upstream: echo.address })
    const run = await playScenario(
      ns,
      parseScenario({
        timeline: [
          { at: 0, remove: 'not-there' },
          { at: 100, add: { type: 'latency' } },
        ],
      }),
    )
    await assert.rejects(run.done, /timeline\[0\] \(at 0 ms\): toxic not found: not-there/)
    await sleep(150)
    assert.equal(p.toxics().length, 0)
  })
})
