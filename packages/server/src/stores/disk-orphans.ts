/**
 * What a crash can leave in a disk store's folder that no upload names: a data file whose info file was never
 * written (kill -9 inside a concatenation, which streams the parts into the new data file and writes its info last,
 * or between a creation's two files, or inside a removal, which deletes the info first) and temporary info files
 * (kill -9 inside an atomic info replace), and an empty info file with its data file (kill -9 between a creation's
 * making its info file and writing it, disk-info.ts `create`). None of them is an upload (`get` answers not
 * found), so nothing else ever removes them. They are removed once they are older than `olderThanMs` by their last
 * change: a concatenation or a creation still running keeps touching its file, so only a dead one's file ages.
 */
import { readdir, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { isUploadId } from '../ids.js'

/** `<id>.json.<pid>.<random>.tmp`: disk-info.ts `viaTemporary`. */
const TMP_INFO = /^[^/]+\.json\.\d+\.[a-z0-9]+\.tmp$/

/**
 * Info files that may be a killed creation's (empty), to look at again on the next sweep. An empty info file is left
 * only by a process that died, so the first sweep of a process looks at every info file (one `stat` each), and
 * later sweeps only at the empty ones that were too young to go: not a `stat` per upload per sweep.
 */
export interface EmptyInfos {
  /** Undefined until the first sweep: every info file is looked at. */
  candidates: Set<string> | undefined
}

export async function reclaimOrphans(
  directory: string,
  olderThanMs: number,
  empty: EmptyInfos = { candidates: undefined },
  now = Date.now(),
): Promise<number> {
  let names: string[]
  try {
    names = await readdir(directory)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 0
    throw e
  }
  const infos = new Set(names.filter((n) => n.endsWith('.json')).map((n) => n.slice(0, -'.json'.length)))
  let removed = 0
  const young = new Set<string>()
  for (const id of empty.candidates ?? infos) {
    if (!isUploadId(id) || !infos.has(id)) continue
    const info = join(directory, `${id}.json`)
    const st = await stat(info).catch(() => undefined)
    if (!st?.isFile() || st.size > 0) continue
    if (now - st.mtimeMs < olderThanMs) {
      young.add(id)
      continue
    }
    // Info first, as a removal does: an upload without info is not found even if removing the data is interrupted.
    await rm(info, { force: true })
    removed++
    const data = join(directory, id)
    if (await stat(data).catch(() => undefined)) {
      await rm(data, { force: true })
      removed++
    }
  }
  empty.candidates = young
  for (const name of names) {
    const data = isUploadId(name) && !infos.has(name)
    if (!data && !TMP_INFO.test(name)) continue
    const path = join(directory, name)
    const st = await stat(path).catch(() => undefined)
    if (!st?.isFile() || now - st.mtimeMs < olderThanMs) continue
    // Its info may have been written since the listing (an old data file cannot gain one, but be exact).
    if (data && (await stat(`${path}.json`).catch(() => undefined))) continue
    await rm(path, { force: true })
    removed++
  }
  return removed
}
