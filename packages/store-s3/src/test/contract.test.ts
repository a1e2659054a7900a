/** The store contract (every optional capability) on a real radosgw, with parts small enough to cross often. */
import { after, before, describe } from 'node:test'
import { storeContract } from '@rufh/server/store-contract'
import { S3Store } from '../s3-store.js'
import { MIN_PART_SIZE, PART_LIMIT, type Rgw, startRgw } from './rgw.js'

let rgw: Rgw
let bucket: string
let n = 0

before(
  async () => {
    rgw = await startRgw()
    bucket = await rgw.bucket()
  },
  { timeout: 900_000 },
)
after(() => rgw?.stop())

describe('S3Store on radosgw', { timeout: 300_000 }, () => {
  for (const partSize of [8 * 1024, MIN_PART_SIZE])
    storeContract(
      `S3Store (${partSize}-byte parts)`,
      async () => {
        const client = rgw.client()
        const store = new S3Store({
          client,
          bucket,
          prefix: `contract-${++n}/`,
          partSize,
          minPartSize: MIN_PART_SIZE,
          maxParts: PART_LIMIT,
        })
        return { store, cleanup: async () => client.destroy() }
      },
      // With 1 KiB parts, 100 parts hold 100 KiB: smaller odd sizes.
      partSize === MIN_PART_SIZE ? { sizes: [1, 7, 1000, 1023, 1025, 4096 + 3, 2, 12_345, 30_001] } : {},
    )
})
