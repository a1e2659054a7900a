/** tus 1.0.0 extension concatenation: partial uploads, the final upload made of them, and what it refuses. */
import { header } from '@rufh/wire'
import type { TusCheck } from '../types.js'
import type { TusContext, TusState } from './context.js'
import { expectAppended, expectStatus, S } from './util.js'

const NEEDS = ['creation', 'concatenation'] as const
const PARTS = ['abc', 'defg'] as const

interface Concatenated {
  parts: URL[]
  final: URL
  /** HEAD of the final upload once it reports an offset. */
  state: TusState
}

/** Two complete partial uploads (`abc`, `defg`) concatenated into a final one. */
async function concatenated(ctx: TusContext): Promise<Concatenated> {
  const parts: URL[] = []
  for (const text of PARTS) {
    const up = await ctx.upload({ length: text.length, concat: 'partial' })
    const p = await ctx.patch(up.url, { offset: 0, body: Buffer.from(text) })
    expectAppended(ctx, p, text.length, 'PATCH completing a partial upload')
    parts.push(up.url)
  }
  const { ex, location } = await ctx.create({ length: 'none', concat: `final;${parts.map((u) => u.href).join(' ')}` })
  expectStatus(ctx, ex, [201], 'creation of the final upload')
  ctx.assert(location, 'the creation of the final upload has no Location', ex)
  // The final upload reports an offset once concatenation has finished: give it a moment.
  let state = await ctx.state(location)
  for (let i = 0; i < 3 && state.offset === undefined; i++) {
    await new Promise((r) => setTimeout(r, 100))
    state = await ctx.state(location)
  }
  return { parts, final: location, state }
}

const total = PARTS.join('').length

/** The URLs of `final;URL URL...`, resolved against `base`; undefined when the value is not of that form. */
function finalParts(value: string | undefined, base: URL): string[] | undefined {
  const m = /^final;(.+)$/.exec(value?.trim() ?? '')
  if (!m) return undefined
  try {
    return m[1]!
      .trim()
      .split(/ +/)
      .map((p) => new URL(p, base).href)
  } catch {
    return undefined
  }
}

export const tusConcatenationChecks: TusCheck[] = [
  {
    id: 'T-24',
    protocol: 'tus',
    title: 'A final upload of two partial uploads is created (201); its Upload-Length and Upload-Offset are their sum',
    group: 'concatenation',
    needs: NEEDS,
    source: [S.concatenation],
    level: 'MUST',
    budget: { requests: 30 },
    async run(ctx: TusContext) {
      const c = await concatenated(ctx)
      const s = c.state
      ctx.assert(
        s.length === total,
        `HEAD of the final upload: Upload-Length ${s.length ?? '(none)'}, expected ${total}`,
        s.ex,
      )
      ctx.assert(
        s.offset === total,
        `HEAD of the final upload: Upload-Offset ${s.offset ?? '(none)'}, expected ${total}`,
        s.ex,
      )
      const content = await ctx.download(c.final)
      if (content === undefined) ctx.note('the server offers no GET download: the content was not compared')
      else
        ctx.assert(
          content.toString('latin1') === PARTS.join(''),
          `GET of the final upload returns ${JSON.stringify(content.toString('latin1').slice(0, 40))}, not "abcdefg"`,
        )
      return undefined
    },
  },
  {
    id: 'T-25',
    protocol: 'tus',
    title: 'HEAD on partial and final uploads carries Upload-Concat as created (partial; final;URLs in order)',
    group: 'concatenation',
    needs: NEEDS,
    source: [S.concatenation, S.concat],
    level: 'MUST',
    budget: { requests: 30 },
    async run(ctx: TusContext) {
      const c = await concatenated(ctx)
      const sent = c.parts.map((u) => u.href)
      const got = finalParts(c.state.concat, c.final)
      ctx.assert(
        got !== undefined && got.join(' ') === sent.join(' '),
        `HEAD of the final upload: Upload-Concat ${JSON.stringify(c.state.concat ?? '(none)')}, created as final;${sent.join(' ')}`,
        c.state.ex,
      )
      const p = await ctx.state(c.parts[0]!)
      ctx.assert(
        p.concat?.trim() === 'partial',
        `HEAD of a partial upload: Upload-Concat ${p.concat ?? '(none)'}`,
        p.ex,
      )
      ctx.assert(p.offset === PARTS[0].length, 'HEAD of a partial upload lacks its Upload-Offset', p.ex)
      return undefined
    },
  },
  {
    id: 'T-26',
    protocol: 'tus',
    title: 'A PATCH to a final upload is answered 403 and changes neither it nor its partial uploads',
    group: 'concatenation',
    needs: NEEDS,
    source: [S.concatenation],
    level: 'MUST',
    budget: { requests: 30 },
    async run(ctx: TusContext) {
      const c = await concatenated(ctx)
      const offset = c.state.offset ?? total
      const ex = await ctx.patch(c.final, { offset, body: Buffer.from('x') })
      expectStatus(ctx, ex, [403], 'PATCH to the final upload')
      const after = await ctx.state(c.final)
      ctx.assert(
        after.offset === c.state.offset && after.length === c.state.length,
        `after the PATCH the final upload reports Upload-Offset ${header(after.res, 'upload-offset')}, Upload-Length ${header(after.res, 'upload-length')}`,
        after.ex,
      )
      for (const [i, u] of c.parts.entries()) await ctx.expectOffset(u, PARTS[i]!.length, 'a partial upload changed')
      return undefined
    },
  },
]
