/** `serve --s3-*` options reach the store: `--s3-spool-streamed-parts` (off by default) and `--s3-part-memory`. */
import assert from 'node:assert/strict'
import { it } from 'node:test'
import type { S3Store } from '@rufh/store-s3'
import { s3StoreOf } from '../commands/serve-s3.js'

it('--s3-spool-streamed-parts turns spooling of streamed parts on; without it they keep no disk copy', async () => {
  for (const [flag, want] of [
    [undefined, false],
    [true, true],
  ] as const) {
    const setup = await s3StoreOf({ 's3-bucket': 'bkt', 's3-part-memory': '16MiB', 's3-spool-streamed-parts': flag })
    assert.ok(setup)
    const store = setup.store as S3Store
    assert.equal(store.spoolStreamedParts, want)
    assert.equal(store.partMemory.bytes, 16 * 2 ** 20)
    setup.close()
  }
})
