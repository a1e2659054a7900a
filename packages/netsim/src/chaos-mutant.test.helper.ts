/**
 * Deliberately broken upload servers for the chaos suite's own test (not shipped): `node chaos-mutant.test.helper.js
 * MUTANT --port P --dir D` serves like `rufh serve`, with one fault:
 * - `loses-bytes`: at each start, the last KiB of every incomplete upload is gone (stored offsets go down);
 * - `forgets-completion`: completion of a draft upload is answered but never recorded (it stays undownloadable).
 */
import { readdir, readFile, stat, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { DiskStore, startServer, type UploadInfo, type UploadPatch } from '@rufh/server'

const { values, positionals } = parseArgs({
  options: { port: { type: 'string' }, dir: { type: 'string' } },
  allowPositionals: true,
})
const mutant = positionals[0]
const directory = values.dir ?? './uploads'

class ForgetsCompletion extends DiskStore {
  override async update(id: string, patch: UploadPatch): Promise<UploadInfo> {
    const { complete, ...rest } = patch
    const info = await super.update(id, rest)
    return complete ? { ...info, complete: true } : info
  }
}

if (mutant === 'loses-bytes') {
  for (const name of await readdir(directory).catch(() => [] as string[])) {
    if (!name.endsWith('.json')) continue
    const info = JSON.parse(await readFile(join(directory, name), 'utf8')) as { complete?: boolean }
    const data = join(directory, name.slice(0, -'.json'.length))
    const size = (await stat(data)).size
    if (!info.complete && size >= 1024) await truncate(data, size - 1024)
  }
}
const store = mutant === 'forgets-completion' ? new ForgetsCompletion({ directory }) : new DiskStore({ directory })
const s = await startServer({ port: Number(values.port ?? 0), store })
process.stdout.write(`rufh serving ${s.url} -> ${directory}\n`)
