/** The page's assets ship in the package: `npm pack` of @rufh/ui holds the HTML, CSS and compiled page, no tests. */
import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { it } from 'node:test'
import { fileURLToPath } from 'node:url'

it('npm pack @rufh/ui lists the assets and the page modules, and no test files', { timeout: 60_000 }, () => {
  const root = fileURLToPath(new URL('../../../..', import.meta.url))
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '-w', '@rufh/ui'], {
    cwd: root,
    encoding: 'utf8',
  })
  const files = (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((f) => f.path)
  for (const f of ['assets/index.html', 'assets/app.css', 'dist/index.js', 'dist/ui-handler.js', 'dist/page/app.js'])
    assert.ok(files.includes(f), `${f} is packed`)
  assert.deepEqual(
    files.filter((f) => f.includes('test')),
    [],
  )
})
