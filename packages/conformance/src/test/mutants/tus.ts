/**
 * tus 1.0.0 mutants: the server's tus codec with one method replaced (passed as `startServer({ tus })`), a wire front
 * that rewrites tus fields, or a store that mishandles concatenation. Each breaks a rule of tus 1.0.0.
 */
import {
  type AppendRequest,
  type CreationRequest,
  type Fields,
  type HeaderReader,
  type Procedure,
  type ProtocolCodec,
  type Reply,
  type ResponseContext,
  type RufhError,
  TusV1,
  type UploadView,
} from '@rufh/protocol'
import { getField, setField } from './front.js'
import type { Mutant } from './index.js'
import { tusStoreMutants } from './stores.js'

function without(r: Reply, ...names: string[]): Reply {
  const headers: Fields = { ...r.headers }
  for (const n of names) delete headers[n]
  return { ...r, headers }
}

/** A header reader that rewrites one field. */
function rewrite(
  h: HeaderReader,
  name: string,
  fn: (v: string | null | undefined) => string | null | undefined,
): HeaderReader {
  return { get: (n) => (n.toLowerCase() === name ? fn(h.get(n)) : h.get(n)) }
}

/** A codec whose failures with status `from` are answered `to` (without the fields `drop`). */
class RemapFailure extends TusV1 {
  constructor(
    private readonly from: number,
    private readonly to: number,
    private readonly drop: string[] = [],
  ) {
    super()
  }
  override failure(err: RufhError, p: Procedure, ctx: ResponseContext, upload?: UploadView): Reply {
    const r = super.failure(err, p, ctx, upload)
    return r.status === this.from ? { ...without(r, ...this.drop), status: this.to } : r
  }
}

class DiscoveryBroken extends TusV1 {
  override discovery(ctx: ResponseContext): Reply {
    const r = without(super.discovery(ctx), 'tus-checksum-algorithm')
    return { ...r, headers: { ...r.headers, 'tus-max-size': '1 MiB' } }
  }
}

class HeadBare extends TusV1 {
  override retrieved(upload: UploadView): Reply {
    const r = super.retrieved(upload)
    return without(r, 'cache-control', 'upload-length', 'upload-defer-length', 'upload-metadata', 'upload-concat')
  }
}

class Patch200 extends TusV1 {
  override appended(upload: UploadView): Reply {
    return { ...without(super.appended(upload), 'upload-offset'), status: 200 }
  }
}

class Created200 extends TusV1 {
  override created(location: string, upload: UploadView): Reply {
    return { ...without(super.created(location, upload), 'upload-offset'), status: 200 }
  }
}

class AnyMediaType extends TusV1 {
  override readAppend(h: HeaderReader): AppendRequest {
    return super.readAppend(rewrite(h, 'content-type', () => 'application/offset+octet-stream'))
  }
}

class LenientDefer extends TusV1 {
  override readCreation(h: HeaderReader): CreationRequest {
    return super.readCreation(rewrite(h, 'upload-defer-length', (v) => (v === null || v === undefined ? v : '1')))
  }
}

class Delete200 extends TusV1 {
  override cancelled(): Reply {
    return { ...super.cancelled(), status: 200 }
  }
}

/** Upload-Expires as ISO 8601 instead of an IMF-fixdate. */
function isoExpires(r: Reply): Reply {
  const v = r.headers['upload-expires']
  return v === undefined ? r : { ...r, headers: { ...r.headers, 'upload-expires': new Date(v).toISOString() } }
}

class IsoExpires extends TusV1 {
  override created(location: string, upload: UploadView): Reply {
    return isoExpires(super.created(location, upload))
  }
  override appended(upload: UploadView): Reply {
    return isoExpires(super.appended(upload))
  }
}

class ChecksumIgnored extends TusV1 {
  override readAppend(h: HeaderReader): AppendRequest {
    return super.readAppend(rewrite(h, 'upload-checksum', () => undefined))
  }
}

class ChecksumAlwaysMismatch extends TusV1 {
  override readAppend(h: HeaderReader): AppendRequest {
    const r = super.readAppend(h)
    return r.checksum ? { ...r, checksum: { ...r.checksum, digest: r.checksum.digest.map((b) => b ^ 0xff) } } : r
  }
}

export const tusCodecMutants = {
  'tus-discovery-broken': () => new DiscoveryBroken(),
  'tus-head-bare': () => new HeadBare(),
  'tus-patch-200': () => new Patch200(),
  'tus-created-200': () => new Created200(),
  'tus-offset-400': () => new RemapFailure(409, 400, ['upload-offset']),
  'tus-unknown-400': () => new RemapFailure(404, 400),
  'tus-no-413': () => new RemapFailure(413, 400),
  'tus-any-media-type': () => new AnyMediaType(),
  'tus-lenient-defer': () => new LenientDefer(),
  'tus-delete-200': () => new Delete200(),
  'tus-iso-expires': () => new IsoExpires(),
  'tus-checksum-ignored': () => new ChecksumIgnored(),
  'tus-checksum-always-mismatch': () => new ChecksumAlwaysMismatch(),
} satisfies Record<string, () => ProtocolCodec>

export const tusMutants: Mutant[] = [
  {
    name: 'tus-discovery-broken',
    breaks: 'OPTIONS with Tus-Max-Size "1 MiB" and without Tus-Checksum-Algorithm',
    kills: ['T-01', 'T-19'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-discovery-broken'],
  },
  {
    name: 'tus-head-bare',
    breaks: 'HEAD without Cache-Control, Upload-Length, Upload-Defer-Length, Upload-Metadata, Upload-Concat',
    kills: ['T-02', 'T-10', 'T-12', 'T-14', 'T-25'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-head-bare'],
  },
  {
    name: 'tus-no-resumable',
    breaks: 'responses without Tus-Resumable',
    kills: ['T-03'],
    runs: ['tus'],
    front: { final: (h) => ({ ...h, headers: setField(h.headers, 'Tus-Resumable', undefined) }) },
  },
  {
    name: 'tus-patch-200',
    breaks: 'PATCH answered 200 without Upload-Offset',
    kills: ['T-02', 'T-04', 'T-09', 'T-14', 'T-20', 'T-27'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-patch-200'],
  },
  {
    name: 'tus-offset-400',
    breaks: 'an offset mismatch answered 400',
    kills: ['T-05'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-offset-400'],
  },
  {
    name: 'tus-any-media-type',
    breaks: 'PATCH taken with any Content-Type',
    kills: ['T-06'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-any-media-type'],
  },
  {
    name: 'tus-any-version',
    breaks: 'processes requests of any Tus-Resumable',
    kills: ['T-07'],
    runs: ['tus'],
    front: {
      request: (h) => {
        const v = getField(h.headers, 'tus-resumable')
        return v === undefined ? h : { ...h, headers: setField(h.headers, 'Tus-Resumable', '1.0.0') }
      },
    },
  },
  {
    name: 'tus-unknown-400',
    breaks: 'unknown (and terminated) uploads answered 400',
    kills: ['T-08', 'T-17'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-unknown-400'],
  },
  {
    name: 'tus-no-override',
    breaks: 'ignores X-HTTP-Method-Override',
    kills: ['T-09'],
    runs: ['tus'],
    front: { request: (h) => ({ ...h, headers: setField(h.headers, 'X-HTTP-Method-Override', undefined) }) },
  },
  {
    name: 'tus-created-200',
    breaks: 'creation answered 200 without Upload-Offset',
    kills: ['T-10', 'T-13', 'T-24'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-created-200'],
  },
  {
    name: 'tus-no-413',
    breaks: 'an upload larger than Tus-Max-Size refused with 400',
    kills: ['T-11'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-no-413'],
  },
  {
    name: 'tus-lenient-defer',
    breaks: 'any Upload-Defer-Length value defers the length',
    kills: ['T-15'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-lenient-defer'],
  },
  {
    name: 'tus-delete-200',
    breaks: 'DELETE answered 200',
    kills: ['T-16'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-delete-200'],
  },
  {
    name: 'tus-iso-expires',
    breaks: 'Upload-Expires in ISO 8601, not an IMF-fixdate',
    kills: ['T-18'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-iso-expires'],
  },
  {
    name: 'tus-checksum-ignored',
    breaks: 'Upload-Checksum is ignored',
    kills: ['T-21', 'T-22', 'T-23'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-checksum-ignored'],
  },
  {
    name: 'tus-checksum-always-mismatch',
    breaks: 'every checksum is taken as a mismatch',
    kills: ['T-20'],
    runs: ['tus'],
    tus: tusCodecMutants['tus-checksum-always-mismatch'],
  },
  {
    name: 'concat-drops-last',
    breaks: 'concatenation leaves out the last partial upload',
    kills: ['T-24'],
    runs: ['tus'],
    store: tusStoreMutants['concat-drops-last'],
  },
  {
    name: 'final-forgets-concat',
    breaks: 'a final upload forgets it is one (no Upload-Concat, PATCH not refused with 403)',
    kills: ['T-25', 'T-26'],
    runs: ['tus'],
    store: tusStoreMutants['final-forgets-concat'],
  },
]
