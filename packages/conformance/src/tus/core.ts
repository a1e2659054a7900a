/** tus 1.0.0 core protocol: OPTIONS, HEAD, PATCH, Tus-Resumable and its 412, unknown uploads, method override. */
import { header } from '@rufh/wire'
import { describe } from '../context.js'
import type { TusCheck } from '../types.js'
import { type TusContext, tusList, tusNumber } from './context.js'
import { expectAppended, expectRejected, expectStatus, S } from './util.js'

const CORE = 'core'
/** Core checks need an upload to work on; without the creation extension there is no standard way to make one. */
const NEEDS_UPLOAD = ['creation'] as const

/** A `Tus-Resumable` the server cannot support. */
const UNSUPPORTED = '0.0.1'

function noStore(v: string | undefined): boolean {
  return (v ?? '').split(',').some((d) => d.trim().toLowerCase() === 'no-store')
}

export const tusCoreChecks: TusCheck[] = [
  {
    id: 'T-01',
    protocol: 'tus',
    title: 'OPTIONS is answered 200/204 with Tus-Version listing 1.0.0; Tus-Extension and Tus-Max-Size well-formed',
    group: CORE,
    needs: [],
    source: [S.options, S.version, S.extension, S.maxSize, S.withUpload],
    level: 'MUST',
    async run(ctx: TusContext) {
      const ex = await ctx.options()
      const f = expectStatus(ctx, ex, [200, 204], 'OPTIONS')
      const versions = tusList(header(f, 'tus-version'))
      ctx.assert(versions.includes('1.0.0'), `Tus-Version ${header(f, 'tus-version') ?? '(none)'} lacks 1.0.0`, ex)
      ctx.assert(!versions.includes(''), 'Tus-Version is not a comma-separated list', ex)
      const rawExt = header(f, 'tus-extension')
      if (rawExt !== undefined) {
        const ext = tusList(rawExt)
        ctx.assert(
          ext.every((e) => /^[A-Za-z0-9-]+$/.test(e)),
          `Tus-Extension ${JSON.stringify(rawExt)} is not a comma-separated list of extension names (an empty one must be omitted)`,
          ex,
        )
        ctx.assert(
          !ext.includes('creation-with-upload') || ext.includes('creation'),
          'creation-with-upload is offered without creation',
          ex,
        )
      }
      const max = header(f, 'tus-max-size')
      if (max !== undefined)
        ctx.assert(
          tusNumber(max) !== undefined,
          `Tus-Max-Size ${JSON.stringify(max)} is not a non-negative integer`,
          ex,
        )
      return undefined
    },
  },
  {
    id: 'T-02',
    protocol: 'tus',
    title: 'HEAD is answered 200/204 with Upload-Offset, Upload-Length and Cache-Control: no-store',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.head],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 20 })
      const s = await ctx.state(up.url)
      const o = header(s.res, 'upload-offset')
      ctx.assert(s.offset === 0, `HEAD of a new upload: Upload-Offset ${o ?? '(none)'}, expected 0`, s.ex)
      ctx.assert(
        s.length === 20,
        `HEAD: Upload-Length ${header(s.res, 'upload-length') ?? '(none)'}, expected 20`,
        s.ex,
      )
      ctx.assert(noStore(header(s.res, 'cache-control')), 'HEAD: no Cache-Control: no-store', s.ex)
      const p = await ctx.patch(up.url, { offset: 0, body: ctx.bytes(20) })
      expectAppended(ctx, p, 20, 'PATCH completing the upload')
      const done = await ctx.state(up.url)
      ctx.assert(done.offset === 20, 'HEAD of a completed upload does not report Upload-Offset 20', done.ex)
      ctx.assert(noStore(header(done.res, 'cache-control')), 'HEAD of a completed upload: no no-store', done.ex)
      return undefined
    },
  },
  {
    id: 'T-03',
    protocol: 'tus',
    title: 'Responses to POST, HEAD, PATCH (and its 409) and DELETE carry Tus-Resumable: 1.0.0',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.resumable],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      const exs = [up.ex, await ctx.head(up.url), await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4) })]
      exs.push(await ctx.patch(up.url, { offset: 1, body: ctx.bytes(4) }))
      if (ctx.has('termination')) exs.push(await ctx.terminate(up.url))
      for (const ex of exs) {
        const v = ex.final ? header(ex.final, 'tus-resumable') : undefined
        ctx.assert(
          v?.trim() === '1.0.0',
          `${ex.request.method} answered ${describe(ex)} with Tus-Resumable ${v ?? '(none)'}`,
          ex,
        )
      }
      return undefined
    },
  },
  {
    id: 'T-04',
    protocol: 'tus',
    title: 'A PATCH is answered 204 with the new Upload-Offset, and HEAD agrees',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.patch],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 12 })
      expectAppended(ctx, await ctx.patch(up.url, { offset: 0, body: ctx.bytes(5) }), 5, 'PATCH of 5 bytes at 0')
      await ctx.expectOffset(up.url, 5, 'after a PATCH of 5 bytes')
      const last = await ctx.patch(up.url, { offset: 5, body: ctx.bytes(7, 5) })
      expectAppended(ctx, last, 12, 'PATCH of 7 bytes at 5')
      await ctx.expectOffset(up.url, 12, 'after the completing PATCH')
      return undefined
    },
  },
  {
    id: 'T-05',
    protocol: 'tus',
    title: 'A PATCH whose Upload-Offset is not the current offset is answered 409 and changes nothing',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.patch],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 16 })
      expectAppended(ctx, await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4) }), 4, 'PATCH at 0')
      for (const at of [2, 8]) {
        const ex = await ctx.patch(up.url, { offset: at, body: ctx.bytes(4, at) })
        expectStatus(ctx, ex, [409], `PATCH at ${at} while the offset is 4`)
        await ctx.expectOffset(up.url, 4, `after the 409 for offset ${at}`)
      }
      return undefined
    },
  },
  {
    id: 'T-06',
    protocol: 'tus',
    title: 'A PATCH without Content-Type: application/offset+octet-stream is answered 415 and changes nothing',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.patch],
    level: 'SHOULD',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      for (const contentType of ['application/octet-stream', null]) {
        const ex = await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4), contentType })
        expectStatus(ctx, ex, [415], `PATCH with Content-Type ${contentType ?? '(none)'}`)
        await ctx.expectOffset(up.url, 0, 'after the 415')
      }
      return undefined
    },
  },
  {
    id: 'T-07',
    protocol: 'tus',
    title: 'An unsupported Tus-Resumable is answered 412 with Tus-Version, and the request is not processed',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.resumable],
    level: 'MUST',
    async run(ctx: TusContext) {
      const c = await ctx.create({ length: 4, version: UNSUPPORTED })
      const f = expectStatus(ctx, c.ex, [412], `creation with Tus-Resumable: ${UNSUPPORTED}`)
      ctx.assert(tusList(header(f, 'tus-version')).includes('1.0.0'), 'the 412 lacks Tus-Version with 1.0.0', c.ex)
      ctx.assert(!c.location, 'the 412 carries a Location: the creation was processed', c.ex)
      const up = await ctx.upload({ length: 8 })
      const p = await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4), version: UNSUPPORTED })
      const pf = expectStatus(ctx, p, [412], `PATCH with Tus-Resumable: ${UNSUPPORTED}`)
      ctx.assert(tusList(header(pf, 'tus-version')).includes('1.0.0'), 'the 412 lacks Tus-Version with 1.0.0', p)
      await ctx.expectOffset(up.url, 0, 'after the 412')
      return undefined
    },
  },
  {
    id: 'T-08',
    protocol: 'tus',
    title: 'HEAD and PATCH on an unknown upload URL are answered 404/410 (HEAD also 403), without Upload-Offset',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.head, S.patch],
    level: 'SHOULD',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 4 })
      const u = ctx.unknownUpload(up.url)
      const h = await ctx.head(u)
      const hf = expectStatus(ctx, h, [404, 410, 403], `HEAD ${u.pathname}`)
      ctx.assert(header(hf, 'upload-offset') === undefined, 'the answer to HEAD carries Upload-Offset', h)
      const p = await ctx.patch(u, { offset: 0, body: ctx.bytes(4) })
      expectStatus(ctx, p, [404, 410], `PATCH ${u.pathname}`)
      return undefined
    },
  },
  {
    id: 'T-09',
    protocol: 'tus',
    title: 'X-HTTP-Method-Override is taken as the method: POST as PATCH, and as DELETE (with termination)',
    group: CORE,
    needs: NEEDS_UPLOAD,
    source: [S.override],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      const p = await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4), override: true })
      expectAppended(ctx, p, 4, 'POST with X-HTTP-Method-Override: PATCH')
      await ctx.expectOffset(up.url, 4, 'after the overridden PATCH')
      if (!ctx.has('termination')) return undefined
      const d = await ctx.terminate(up.url, true)
      expectStatus(ctx, d, [204], 'POST with X-HTTP-Method-Override: DELETE')
      expectRejected(ctx, await ctx.head(up.url), 'HEAD after the overridden DELETE')
      return undefined
    },
  },
]
