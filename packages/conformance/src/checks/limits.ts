/** Limits: announced (OPTIONS, 104, creation, HEAD) vs enforced, and how they change over time. */
import { setTimeout as sleep } from 'node:timers/promises'
import { Field } from '@rufh/protocol'
import type { ExchangeResult } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { FROM7, FROM8, FROM9, has, interim104, limitsText } from './util.js'

interface Sample {
  label: string
  time: number
  limits: Map<string, number>
  ex: ExchangeResult
}

/** Upload-Limit of one upload as seen in its 104, creation response, and two HEADs a second apart. */
async function resourceSamples(ctx: CheckContext): Promise<Sample[]> {
  const out: Sample[] = []
  const { ex, location } = await ctx.create()
  for (const r of interim104(ex)) {
    const l = ctx.d.readLimits(r)
    if (l) out.push({ label: '104', time: r.time, limits: l, ex })
  }
  const cl = ex.final && ctx.d.readLimits(ex.final)
  if (cl) out.push({ label: `${ex.final!.status} creation`, time: ex.final!.time, limits: cl, ex })
  ctx.assert(location, `creation gave no Location: ${describe(ex)}`, ex)
  for (const label of ['HEAD', 'HEAD 1.1 s later']) {
    if (label !== 'HEAD') await sleep(1100)
    const s = await ctx.state(location)
    if (s.limits) out.push({ label, time: s.res.time, limits: s.limits, ex: s.ex })
  }
  if (out.length < 2) throw ctx.skip('fewer than two responses carried Upload-Limit')
  return out
}

/** Harmful changes between consecutive samples (draft-12 §4.1.4 rules). */
function harmfulChanges(ctx: CheckContext, samples: Sample[]): void {
  const ageKey = ctx.d.expiryKey
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!
    const b = samples[i]!
    const why = `${a.label} (${limitsText(a.limits)}) then ${b.label} (${limitsText(b.limits)})`
    for (const k of ['max-size', 'max-append-size']) {
      const x = a.limits.get(k)
      const y = b.limits.get(k)
      if (x !== undefined) ctx.assert(y === undefined || y >= x, `${k} decreased: ${why}`, b.ex)
    }
    for (const k of ['min-size', 'min-append-size']) {
      const x = a.limits.get(k) ?? 0
      const y = b.limits.get(k) ?? 0
      ctx.assert(y <= x, `${k} increased: ${why}`, b.ex)
    }
    const x = a.limits.get(ageKey)
    const y = b.limits.get(ageKey)
    if (x !== undefined && y !== undefined)
      ctx.assert(b.time + y * 1000 >= a.time + x * 1000 - 2000, `the end of life moved earlier: ${why}`, b.ex)
  }
}

/** Only the lifetime key may differ between samples. */
function onlyAgeChanges(ctx: CheckContext, samples: Sample[]): void {
  const ageKey = ctx.d.expiryKey
  const strip = (m: Map<string, number>) => limitsText(new Map([...m].filter(([k]) => k !== ageKey)))
  const first = samples[0]!
  for (const s of samples.slice(1))
    ctx.assert(
      strip(s.limits) === strip(first.limits),
      `limits changed: ${first.label} (${limitsText(first.limits)}) then ${s.label} (${limitsText(s.limits)})`,
      s.ex,
    )
}

function requireLimit(ctx: CheckContext, key: string, min = 1): number {
  const v = ctx.limits.get(key)
  if (v === undefined || v < min) throw ctx.skip(`the target announced no ${key} of at least ${min}`)
  return v
}

export const limitChecks: Check[] = [
  {
    id: 'N9-06',
    title: 'An empty creation is not rejected for min-append-size',
    group: 'limits',
    versions: FROM9,
    source: [sec('-12', 'limit')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      requireLimit(ctx, 'min-append-size')
      const { ex } = await ctx.create()
      ctx.assert(is2xx(ex.final), `empty creation with min-append-size announced: ${describe(ex)}`, ex)
      return undefined
    },
  },
  ...(['N9-15', 'N6-16'] as const).map(
    (id): Check => ({
      id,
      title: 'A completing append smaller than min-append-size is not rejected',
      group: 'limits',
      versions: id === 'N9-15' ? FROM7 : [6],
      ...(id === 'N6-16' ? { drafts: ['-05'] } : {}),
      source: id === 'N9-15' ? [sec('-09', 'limit'), sec('-12', 'limit')] : [sec('-05', 'limit')],
      level: 'MUST',
      async run(ctx: CheckContext) {
        requireLimit(ctx, 'min-append-size', 2)
        const up = await ctx.upload({ bytes: 4 })
        const ex = await ctx.append(up.url, { offset: up.offset, complete: true, body: ctx.bytes(1) })
        ctx.assert(is2xx(ex.final), `a 1-byte completing append: ${describe(ex)}`, ex)
        return undefined
      },
    }),
  ),
  {
    id: 'N9-20',
    title: 'An append larger than max-append-size is rejected with Upload-Limit',
    group: 'limits',
    versions: FROM9,
    source: [sec('-10', 'limit'), sec('-12', 'limit')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const max = requireLimit(ctx, 'max-append-size')
      if (max > 256 * 1024) throw ctx.skip(`max-append-size ${max} is too large to test cheaply`)
      const up = await ctx.upload()
      const ex = await ctx.append(up.url, { offset: 0, complete: false, body: ctx.bytes(max + 1) })
      ctx.assert(
        ex.final && ex.final.status >= 400,
        `an append of ${max + 1} bytes (max-append-size ${max}): ${describe(ex)}`,
        ex,
      )
      ctx.assert(has(ex.final, Field.limit), 'the rejection carries no Upload-Limit', ex)
      return undefined
    },
  },
  ...(
    [
      ['N9-21', FROM9, undefined, 'SHOULD'],
      ['N8-08b', [8], ['-10', '-11'], 'SHOULD'],
    ] as const
  ).map(
    ([id, versions, drafts, level]): Check => ({
      id,
      title: 'Limits do not change harmfully over time (max-* not down, min-* not up, end of life not earlier)',
      group: 'limits',
      versions,
      ...(drafts ? { drafts } : {}),
      source: id === 'N9-21' ? [sec('-12', 'limit')] : [sec('-10', 'limit')],
      level,
      async run(ctx: CheckContext) {
        harmfulChanges(ctx, await resourceSamples(ctx))
        return undefined
      },
    }),
  ),
  ...(
    [
      ['N8-08', [8], ['-09']],
      ['N7-07', [7], undefined],
    ] as const
  ).map(
    ([id, versions, drafts]): Check => ({
      id,
      title: 'No limit but the lifetime changes for an upload',
      group: 'limits',
      versions,
      ...(drafts ? { drafts } : {}),
      source: id === 'N8-08' ? [sec('-09', 'limit')] : [sec('-06', 'limit'), sec('-08', 'limit')],
      level: 'MUST',
      async run(ctx: CheckContext) {
        onlyAgeChanges(ctx, await resourceSamples(ctx))
        return undefined
      },
    }),
  ),
  {
    id: 'N6-18',
    title: 'Upload-Limit uses `expires` (not `max-age`) and max-size stays constant',
    group: 'limits',
    versions: [6],
    source: [sec('-04', 'limit'), sec('-05', 'limit')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const samples = await resourceSamples(ctx)
      for (const s of samples)
        ctx.assert(!s.limits.has('max-age'), `${s.label} uses max-age (interop 6 names it expires)`, s.ex)
      const sizes = new Set(samples.map((s) => s.limits.get('max-size')))
      ctx.assert(
        sizes.size === 1,
        `max-size changed: ${samples.map((s) => `${s.label}: ${s.limits.get('max-size')}`).join(', ')}`,
        samples[samples.length - 1]!.ex,
      )
      return undefined
    },
  },
  {
    id: 'N7-09',
    title: 'Upload-Limit names the lifetime `max-age`, not `expires`',
    group: 'limits',
    versions: [7],
    source: [sec('-06', 'limit')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const samples = await resourceSamples(ctx)
      for (const s of samples)
        ctx.assert(!s.limits.has('expires'), `${s.label} uses expires (renamed max-age in interop 7)`, s.ex)
      return undefined
    },
  },
  {
    id: 'N9-22',
    title: 'Limits announced by OPTIONS are not looser than those of a created upload',
    group: 'limits',
    versions: FROM8,
    source: [sec('-09', 'limit'), sec('-12', 'limit')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const opt = await ctx.options('target')
      const announced = opt.final && ctx.d.readLimits(opt.final)
      if (!announced) throw ctx.skip(`OPTIONS gave no Upload-Limit: ${describe(opt)}`)
      const up = await ctx.upload()
      const s = await ctx.state(up.url)
      const applied = s.limits ?? (up.ex.final ? ctx.d.readLimits(up.ex.final) : undefined)
      if (!applied) throw ctx.skip('the upload announced no limits')
      const why = `OPTIONS: ${limitsText(announced)}; upload: ${limitsText(applied)}`
      for (const k of ['max-size', 'max-append-size']) {
        const r = applied.get(k)
        const o = announced.get(k)
        if (r !== undefined) ctx.assert(o !== undefined && o <= r, `OPTIONS is looser on ${k}: ${why}`, opt, s.ex)
      }
      for (const k of ['min-size', 'min-append-size']) {
        const r = applied.get(k) ?? 0
        ctx.assert((announced.get(k) ?? 0) >= r, `OPTIONS is looser on ${k}: ${why}`, opt, s.ex)
      }
      return undefined
    },
  },
]
