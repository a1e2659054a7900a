/** Discovery: OPTIONS on the target and `OPTIONS *` (from draft -05). */
import { Field, PARTIAL_UPLOAD, readIntegerDictionary } from '@rufh/protocol'
import { type ExchangeResult, header } from '@rufh/wire'
import type { CheckContext } from '../context.js'
import { describe, is2xx } from '../context.js'
import { sec } from '../sources.js'
import type { Check } from '../types.js'
import { FROM9 } from './util.js'

/** Upload-Limit must be present and a non-empty Dictionary (`min-size=0` stands for "no limits"). */
function requireLimitField(ctx: CheckContext, ex: ExchangeResult, what: string): void {
  ctx.assert(is2xx(ex.final), `${what}: ${describe(ex)}`, ex)
  const raw = header(ex.final, Field.limit)
  ctx.assert(raw !== undefined, `${what} has no Upload-Limit`, ex)
  const d = readIntegerDictionary(raw)
  ctx.assert(
    d && d.values.size + d.invalid.length > 0,
    `${what} has an empty or invalid Upload-Limit: ${JSON.stringify(raw)}`,
    ex,
  )
}

function requireAcceptPatch(ctx: CheckContext, ex: ExchangeResult, what: string): void {
  ctx.assert(is2xx(ex.final), `${what}: ${describe(ex)}`, ex)
  const ap = header(ex.final, Field.acceptPatch) ?? ''
  const types = ap.split(',').map((t) => t.split(';', 1)[0]!.trim().toLowerCase())
  ctx.assert(
    types.includes(PARTIAL_UPLOAD),
    `${what} has Accept-Patch: ${ap || '(none)'} (must list ${PARTIAL_UPLOAD})`,
    ex,
  )
}

/** OPTIONS * is optional; when it succeeds it must carry Upload-Limit. */
async function starIfSupported(ctx: CheckContext): Promise<void> {
  const star = await ctx.options('*')
  if (is2xx(star.final)) requireLimitField(ctx, star, 'OPTIONS *')
  else ctx.note(`OPTIONS * answered ${describe(star)}`)
}

export const discoveryChecks: Check[] = [
  {
    id: 'N9-01',
    title: 'OPTIONS on the target carries Upload-Limit (min-size=0 when there are no limits)',
    group: 'discovery',
    versions: FROM9,
    source: [sec('-12', 'limit')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      requireLimitField(ctx, await ctx.options('target'), 'OPTIONS')
      return undefined
    },
  },
  {
    id: 'N9-02',
    title: 'OPTIONS * carries Upload-Limit',
    group: 'discovery',
    versions: FROM9,
    source: [sec('-12', 'limit')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      requireLimitField(ctx, await ctx.options('*'), 'OPTIONS *')
      return undefined
    },
  },
  {
    id: 'N8-01',
    title: 'OPTIONS on the target: Upload-Limit (-09), Accept-Patch with application/partial-upload (-10/-11)',
    group: 'discovery',
    versions: [8],
    source: [sec('-09', 'limit'), sec('-10', 'limit')],
    level: 'MUST',
    async run(ctx: CheckContext) {
      const ex = await ctx.options('target')
      if (ctx.d.draftNo === 9) requireLimitField(ctx, ex, 'OPTIONS')
      else requireAcceptPatch(ctx, ex, 'OPTIONS')
      return undefined
    },
  },
  {
    id: 'N8-01b',
    title: 'OPTIONS on the target carries Upload-Limit when limits apply',
    group: 'discovery',
    versions: [8],
    drafts: ['-10', '-11'],
    source: [sec('-10', 'limit')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const up = await ctx.upload()
      const applied = up.ex.final ? ctx.d.readLimits(up.ex.final) : undefined
      if (!applied || ![...applied].some(([k, v]) => !(k === 'min-size' && v === 0)))
        throw ctx.skip('the created upload announced no limits')
      const ex = await ctx.options('target')
      ctx.assert(
        is2xx(ex.final) && header(ex.final, Field.limit),
        'OPTIONS has no Upload-Limit although limits apply',
        ex,
      )
      return undefined
    },
  },
  {
    id: 'N8-02',
    title: 'OPTIONS *: Upload-Limit (-09), Accept-Patch (-10/-11)',
    group: 'discovery',
    versions: [8],
    source: [sec('-09', 'limit'), sec('-10', 'limit')],
    level: 'SHOULD',
    async run(ctx: CheckContext) {
      const ex = await ctx.options('*')
      if (ctx.d.draftNo === 9) requireLimitField(ctx, ex, 'OPTIONS *')
      else requireAcceptPatch(ctx, ex, 'OPTIONS *')
      return undefined
    },
  },
  ...(['N7-01', 'N6-15'] as const).map(
    (id): Check => ({
      id,
      title: 'OPTIONS on the target (and OPTIONS * when supported) carries Upload-Limit',
      group: 'discovery',
      versions: id === 'N7-01' ? [7] : [6],
      ...(id === 'N6-15' ? { drafts: ['-05'] } : {}),
      source: id === 'N7-01' ? [sec('-06', 'limit'), sec('-08', 'limit')] : [sec('-05', 'limit')],
      level: 'MUST',
      async run(ctx: CheckContext) {
        requireLimitField(ctx, await ctx.options('target'), 'OPTIONS')
        await starIfSupported(ctx)
        return undefined
      },
    }),
  ),
]
