/**
 * Protocol facts live in @rufh/protocol only (issue 11): the client and the load tester name no header field of the
 * draft or of tus, no media type of either, and compare no interop version numbers; they ask the codec.
 */
import assert from 'node:assert/strict'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const packages = fileURLToPath(new URL('../../../', import.meta.url))

const facts: [string, RegExp][] = [
  ['a draft or tus header field name', /['"](upload-[a-z-]+|tus-(?:resumable|version|extension|max-size)[a-z-]*)['"]/i],
  ['a media type of the protocols', /['"]application\/(partial-upload|offset\+octet-stream|problem\+json)/i],
  ['an interop version comparison', /\binterop\s*(?:[<>]=?|===?|!==?)\s*\d/],
]

async function sources(dir: string): Promise<string[]> {
  const out: string[] = []
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isDirectory() && e.name !== 'test') out.push(...(await sources(p)))
    else if (e.isFile() && e.name.endsWith('.ts') && !e.name.includes('.test.')) out.push(p)
  }
  return out
}

test('client and load sources leave protocol facts to the codecs', { timeout: 10_000 }, async () => {
  const found: string[] = []
  for (const pkg of ['client', 'load']) {
    const files = await sources(join(packages, pkg, 'src'))
    assert.ok(files.length > 5, `${pkg}: sources found`)
    for (const file of files) {
      const lines = (await readFile(file, 'utf8')).split('\n')
      lines.forEach((line, i) => {
        for (const [what, re] of facts)
          if (re.test(line)) found.push(`${file.slice(packages.length)}:${i + 1}: ${what}`)
      })
    }
  }
  assert.deepEqual(found, [])
})
