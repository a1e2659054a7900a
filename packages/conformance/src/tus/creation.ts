/** tus 1.0.0 extensions creation, creation-with-upload and creation-defer-length. */
import { header } from '@rufh/wire'
import type { TusCheck } from '../types.js'
import type { TusContext } from './context.js'
import { b64, expectAppended, expectStatus, metadataPairs, S } from './util.js'

export const tusCreationChecks: TusCheck[] = [
  {
    id: 'T-10',
    protocol: 'tus',
    title: 'A POST with Upload-Length is answered 201 with Location; HEAD then reports offset 0 and the length',
    group: 'creation',
    needs: ['creation'],
    source: [S.creation],
    level: 'MUST',
    async run(ctx: TusContext) {
      const { ex, location } = await ctx.create({ length: 10 })
      expectStatus(ctx, ex, [201], 'creation')
      ctx.assert(location, 'the creation response has no Location', ex)
      const s = await ctx.state(location)
      const [o, l] = [header(s.res, 'upload-offset') ?? '(none)', header(s.res, 'upload-length') ?? '(none)']
      ctx.assert(
        s.offset === 0 && s.length === 10,
        `HEAD of the new upload: Upload-Offset ${o}, Upload-Length ${l} (0 and 10 expected)`,
        s.ex,
      )
      return undefined
    },
  },
  {
    id: 'T-11',
    protocol: 'tus',
    title: 'A creation whose Upload-Length exceeds Tus-Max-Size is answered 413',
    group: 'creation',
    needs: ['creation'],
    source: [S.creation, S.maxSize],
    level: 'MUST',
    async run(ctx: TusContext) {
      const max = ctx.server.maxSize
      if (max === undefined) throw ctx.skip('the server advertises no Tus-Max-Size')
      const { ex, location } = await ctx.create({ length: max + 1 })
      expectStatus(ctx, ex, [413], `creation with Upload-Length ${max + 1} (Tus-Max-Size ${max})`)
      ctx.assert(!location, 'the 413 carries a Location', ex)
      return undefined
    },
  },
  {
    id: 'T-12',
    protocol: 'tus',
    title: 'HEAD returns the Upload-Metadata given at creation (keys, values, a key without value)',
    group: 'creation',
    needs: ['creation'],
    source: [S.metadata, S.creation],
    level: 'MUST',
    async run(ctx: TusContext) {
      const sent = `filename ${b64('conformance ☃.txt')},filetype ${b64('text/plain')},rufh-flag`
      const up = await ctx.upload({ length: 4, metadata: sent })
      const s = await ctx.state(up.url)
      ctx.assert(s.metadata !== undefined, 'HEAD has no Upload-Metadata', s.ex)
      const want = metadataPairs(sent)!
      const got = metadataPairs(s.metadata)
      ctx.assert(got, `HEAD: Upload-Metadata ${JSON.stringify(s.metadata)} is not well-formed`, s.ex)
      const same = got.size === want.size && [...want].every(([k, v]) => got.get(k) === v)
      ctx.assert(same, `HEAD: Upload-Metadata ${JSON.stringify(s.metadata)}, sent ${JSON.stringify(sent)}`, s.ex)
      if (s.metadata !== sent) ctx.note('Upload-Metadata is returned with the same pairs in another form')
      return undefined
    },
  },
  {
    id: 'T-13',
    protocol: 'tus',
    title: 'A creation with content is answered 201 with the Upload-Offset after the accepted bytes',
    group: 'creation-with-upload',
    needs: ['creation', 'creation-with-upload'],
    source: [S.withUpload],
    level: 'MUST',
    async run(ctx: TusContext) {
      const { ex, location } = await ctx.create({ length: 20, body: ctx.bytes(8) })
      const f = expectStatus(ctx, ex, [201], 'creation with 8 bytes of content')
      ctx.assert(location, 'the creation response has no Location', ex)
      const o = header(f, 'upload-offset')
      ctx.assert(o?.trim() === '8', `the creation response has Upload-Offset ${o ?? '(none)'}, expected 8`, ex)
      await ctx.expectOffset(location, 8, 'after a creation with 8 bytes')
      expectAppended(ctx, await ctx.patch(location, { offset: 8, body: ctx.bytes(12, 8) }), 20, 'PATCH at 8')
      return undefined
    },
  },
  {
    id: 'T-14',
    protocol: 'tus',
    title:
      'Upload-Defer-Length: 1 creates an upload; HEAD carries Upload-Defer-Length: 1 until a PATCH sets Upload-Length',
    group: 'creation-defer-length',
    needs: ['creation', 'creation-defer-length'],
    source: [S.creation, S.deferLength],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 'defer' })
      expectStatus(ctx, up.ex, [201], 'creation with Upload-Defer-Length: 1')
      const s = await ctx.state(up.url)
      ctx.assert(s.deferred, 'HEAD of an upload of unknown length lacks Upload-Defer-Length: 1', s.ex)
      ctx.assert(s.length === undefined, 'HEAD of an upload of unknown length carries Upload-Length', s.ex)
      const p = await ctx.patch(up.url, { offset: 0, body: ctx.bytes(4), headers: [['Upload-Length', '10']] })
      expectAppended(ctx, p, 4, 'PATCH at 0 with Upload-Length: 10')
      const known = await ctx.state(up.url)
      const l = header(known.res, 'upload-length') ?? '(none)'
      ctx.assert(known.length === 10, `after the length was set, HEAD has Upload-Length ${l}`, known.ex)
      ctx.assert(!known.deferred, 'after the length was set, HEAD still carries Upload-Defer-Length', known.ex)
      expectAppended(ctx, await ctx.patch(up.url, { offset: 4, body: ctx.bytes(6, 4) }), 10, 'completing PATCH at 4')
      return undefined
    },
  },
  {
    id: 'T-15',
    protocol: 'tus',
    title: 'A creation with Upload-Defer-Length other than 1 is answered 400',
    group: 'creation-defer-length',
    needs: ['creation', 'creation-defer-length'],
    source: [S.creation],
    level: 'SHOULD',
    async run(ctx: TusContext) {
      const { ex, location } = await ctx.create({ length: 'none', headers: [['Upload-Defer-Length', '2']] })
      expectStatus(ctx, ex, [400], 'creation with Upload-Defer-Length: 2')
      ctx.assert(!location, 'the 400 carries a Location', ex)
      return undefined
    },
  },
]
