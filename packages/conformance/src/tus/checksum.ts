/** tus 1.0.0 extension checksum: Tus-Checksum-Algorithm, and PATCH with Upload-Checksum (match, mismatch, unknown). */
import { createHash } from 'node:crypto'
import type { ExchangeResult } from '@rufh/wire'
import { header } from '@rufh/wire'
import { describe } from '../context.js'
import type { TusCheck } from '../types.js'
import { type TusContext, tusList } from './context.js'
import { expectAppended, expectRejected, expectStatus, S } from './util.js'

const NEEDS = ['creation', 'checksum'] as const

function sha1(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('base64')
}

/** An algorithm name the server does not list (lowercase ASCII, as the extension requires of names). */
function unsupportedAlgorithm(ctx: TusContext): string {
  const listed = ctx.server.checksumAlgorithms ?? []
  return ['rufh-unsupported', 'rufh-unsupported-2'].find((a) => !listed.includes(a))!
}

/** A PATCH of 4 bytes at 0 whose Upload-Checksum names the sha1 of other content. */
async function mismatch(ctx: TusContext, u: URL): Promise<ExchangeResult> {
  const other = sha1(ctx.bytes(4, 7))
  return ctx.patch(u, { offset: 0, body: ctx.bytes(4), headers: [['Upload-Checksum', `sha1 ${other}`]] })
}

async function unknown(ctx: TusContext, u: URL): Promise<ExchangeResult> {
  const name = unsupportedAlgorithm(ctx)
  const digest = sha1(ctx.bytes(4))
  return ctx.patch(u, { offset: 0, body: ctx.bytes(4), headers: [['Upload-Checksum', `${name} ${digest}`]] })
}

export const tusChecksumChecks: TusCheck[] = [
  {
    id: 'T-19',
    protocol: 'tus',
    title: 'OPTIONS carries Tus-Checksum-Algorithm, listing sha1, with lowercase names',
    group: 'checksum',
    needs: ['checksum'],
    source: [S.checksum, S.checksumAlgorithm],
    level: 'MUST',
    async run(ctx: TusContext) {
      const ex = await ctx.options()
      const f = expectStatus(ctx, ex, [200, 204], 'OPTIONS')
      const raw = header(f, 'tus-checksum-algorithm')
      ctx.assert(raw !== undefined, 'OPTIONS has no Tus-Checksum-Algorithm although checksum is advertised', ex)
      const names = tusList(raw)
      ctx.assert(names.includes('sha1'), `Tus-Checksum-Algorithm ${JSON.stringify(raw)} lacks sha1`, ex)
      const bad = names.filter((n) => !/^[\x21-\x40\x5b-\x7e]+$/.test(n))
      ctx.assert(bad.length === 0, `algorithm names that are not lowercase ASCII: ${bad.join(', ')}`, ex)
      return undefined
    },
  },
  {
    id: 'T-20',
    protocol: 'tus',
    title: 'A PATCH whose sha1 Upload-Checksum matches is appended (204 with the new offset)',
    group: 'checksum',
    needs: NEEDS,
    source: [S.checksum, S.uploadChecksum],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      const body = ctx.bytes(4)
      const ex = await ctx.patch(up.url, { offset: 0, body, headers: [['Upload-Checksum', `sha1 ${sha1(body)}`]] })
      expectAppended(ctx, ex, 4, 'PATCH with the sha1 of its content')
      await ctx.expectOffset(up.url, 4, 'after a PATCH with a matching checksum')
      return undefined
    },
  },
  {
    id: 'T-21',
    protocol: 'tus',
    title: 'A PATCH whose Upload-Checksum does not match is rejected and nothing of it is stored',
    group: 'checksum',
    needs: NEEDS,
    source: [S.checksum],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      expectRejected(ctx, await mismatch(ctx, up.url), 'PATCH with the sha1 of other content')
      await ctx.expectOffset(up.url, 0, 'after a PATCH with a mismatching checksum')
      return undefined
    },
  },
  {
    id: 'T-22',
    protocol: 'tus',
    title: 'A PATCH naming a checksum algorithm the server does not support is rejected and nothing is stored',
    group: 'checksum',
    needs: NEEDS,
    source: [S.checksum],
    level: 'MUST',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      expectRejected(ctx, await unknown(ctx, up.url), `PATCH with algorithm ${unsupportedAlgorithm(ctx)}`)
      await ctx.expectOffset(up.url, 0, 'after a PATCH with an unsupported algorithm')
      return undefined
    },
  },
  {
    id: 'T-23',
    protocol: 'tus',
    title: 'Checksum failures are answered with the statuses the extension lists: 460 mismatch, 400 unsupported',
    group: 'checksum',
    needs: NEEDS,
    source: [S.checksum],
    level: 'MAY',
    async run(ctx: TusContext) {
      const up = await ctx.upload({ length: 8 })
      const m = await mismatch(ctx, up.url)
      ctx.assert(m.final?.status === 460, `a checksum mismatch is answered ${describe(m)}, not 460`, m)
      const u = await unknown(ctx, up.url)
      ctx.assert(u.final?.status === 400, `an unsupported algorithm is answered ${describe(u)}, not 400`, u)
      ctx.note('answers 460 to a mismatch and 400 to an unsupported algorithm')
      return undefined
    },
  },
]
