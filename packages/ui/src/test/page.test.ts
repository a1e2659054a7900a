/**
 * The upload page in headless Chromium, as a person uses it: `rufh serve --ui` behind `rufh netsim` (both real child
 * processes), two files chosen in the page, netsim cutting each upload's connection and slowing it, a reload while
 * both are under way, the same files chosen again, pause and resume with the keyboard; the server's folder and the
 * page's download links must end with the exact bytes. Then cancel, and a dropped file. A screenshot is written to
 * the test's temp folder (and to `RUFH_UI_SCREENSHOT`, when set: that is how docs/ui.png is made), and axe-core checks
 * the page against WCAG 2.1 A and AA in each of its states.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import type { Browser, Page } from 'playwright-core'
import { launchChromium } from '../../../client/dist/test/chromium.test.helper.js'
import { addToxic, type Command, removeToxic, resetToxics, rufh } from './processes.test.helper.js'

const axeSource = readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface Axe {
  run(
    context: Document,
    options: unknown,
  ): Promise<{ violations: { id: string; help: string; nodes: { target: string[] }[] }[] }>
}

/** axe-core's WCAG 2.1 A and AA rules on the page as it is now: the violations, as `rule: help (elements)`. */
async function accessibilityViolations(page: Page): Promise<string[]> {
  await page.evaluate(await axeSource)
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: Axe }).axe
    const r = await axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    })
    return r.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`)
  })
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')
const PROXY = 'netsim'

interface Row {
  status?: string
  url?: string
  resumedAt?: string
  retries?: string
  protocol?: string
}

describe('the upload page (rufh serve --ui) in headless Chromium', { timeout: 120_000 }, () => {
  let tmp: string
  let uploads: string
  let serve: Command
  let netsim: Command
  let api: string
  let origin: string
  let browser: Browser
  const files: Record<string, Buffer> = {}
  const path = (name: string) => join(tmp, name)

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'rufh-ui-'))
    uploads = join(tmp, 'uploads')
    for (const [name, size] of [
      ['first.bin', 20_000_000],
      ['second.bin', 16_000_000],
      ['third.bin', 3_000_000],
      ['dropped.bin', 200_000],
    ] as const) {
      files[name] = randomBytes(size)
      await writeFile(path(name), files[name]!)
    }
    serve = rufh(['serve', '--ui', '--port', '0', '--dir', uploads, '--log-level', 'warn'])
    const port = (await serve.waitFor(/rufh upload page at http:\/\/127\.0\.0\.1:(\d+)\//))[1]
    netsim = rufh(['netsim', '--upstream', `127.0.0.1:${port}`, '--api', '127.0.0.1:0', '--seed', '16', '--verbose'])
    origin = `http://${(await netsim.waitFor(/netsim: proxy netsim (127\.0\.0\.1:\d+) ->/))[1]}`
    api = (await netsim.waitFor(/netsim: api (http:\/\/\S+)/))[1]!
    await netsim.waitFor(/netsim: ready/)
    browser = await launchChromium()
  })
  after(async () => {
    const results = await Promise.allSettled([browser?.close(), netsim?.stop(), serve?.stop()])
    await rm(tmp, { recursive: true, force: true })
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  })

  async function open(page: Page): Promise<void> {
    await page.goto(`${origin}/`)
    await page.waitForSelector('body[data-ready="true"]')
  }
  const rowsOf = (page: Page) =>
    page.$$eval('#uploads li', (lis) => lis.map((li) => ({ ...(li as HTMLElement).dataset }) as Row))
  /** Bytes of each upload's data file in the server's folder (what the server has received so far). */
  async function received(): Promise<number[]> {
    const names = (await readdir(uploads)).filter((n) => !n.endsWith('.json') && !n.startsWith('.'))
    return Promise.all(names.map(async (n) => (await stat(join(uploads, n))).size))
  }
  async function until(what: string, cond: () => Promise<boolean>, ms = 30_000): Promise<void> {
    const end = Date.now() + ms
    while (!(await cond())) {
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}\nnetsim:\n${netsim.out.slice(-3000)}`)
      await new Promise((r) => setTimeout(r, 50))
    }
  }

  it('two files through cuts and a reload: resumed, paused and resumed by keyboard, byte-exact', async () => {
    await resetToxics(api)
    const page = await browser.newPage({ viewport: { width: 900, height: 900 } })
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await open(page)
    assert.equal(await page.title(), 'rufh: upload files')
    // Both uploads are slowed (so the reload lands mid-way), and the first body of each is cut early.
    const slow = await addToxic(api, PROXY, { type: 'bandwidth', stream: 'upstream', attributes: { rate: 2500 } })
    await addToxic(api, PROXY, {
      name: 'cut-1',
      type: 'http_cut_body',
      attributes: { method: 'PATCH', request: 1, after_bytes: 700_000, action: 'reset' },
    })
    await addToxic(api, PROXY, {
      name: 'cut-2',
      type: 'http_cut_body',
      attributes: { method: 'PATCH', request: 2, after_bytes: 500_000, action: 'reset' },
    })
    await page.setInputFiles('#files', [path('first.bin'), path('second.bin')])
    // (A cut request is either retried by the client after backoff or replayed by Chromium itself on a fresh
    // connection, which the server answers with a conflict the client resyncs from: both continue.)
    await until('two cuts', async () => (netsim.out.match(/"fault":"cut"/g) ?? []).length >= 2)
    // Mid-upload: both uploads have bytes on the server past their cut, neither is complete.
    // (The two run at different paces: a cut costs one of them a retry or a replay; 1.2 MB is past both cuts.)
    await until('both uploads past 1.2 MB on the server', async () => {
      const sizes = await received()
      return sizes.length === 2 && sizes.every((s) => s > 1_200_000)
    })
    const before = await rowsOf(page)
    assert.deepEqual(
      before.map((r) => r.status),
      ['running', 'running'],
    )
    assert.ok(
      before.every((r) => r.url?.startsWith(`${origin}/files/`)),
      'upload URLs are known',
    )
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('rufh:')).length), 2)

    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    // The page lists what the client remembers; choosing the same files again continues them.
    const remembered = await page.$$eval('#unfinished li .name', (n) => n.map((e) => e.textContent).sort())
    assert.deepEqual(remembered, ['first.bin', 'second.bin'])
    assert.equal(await page.isVisible('#unfinished-section'), true)
    assert.deepEqual(await accessibilityViolations(page), [], 'no WCAG 2.1 A/AA violation with unfinished uploads')
    await page.setInputFiles('#files', [path('first.bin'), path('second.bin')])
    await until('both resumed', async () => (await rowsOf(page)).every((r) => r.resumedAt !== undefined))
    const resumed = await rowsOf(page)
    assert.deepEqual(
      resumed.map((r) => r.url),
      before.map((r) => r.url),
      'the same upload resources continue',
    )
    for (const [i, name] of ['first.bin', 'second.bin'].entries()) {
      const at = Number(resumed[i]!.resumedAt)
      assert.ok(at >= 1_200_000 && at < files[name]!.length, `${name} resumed at ${at}: neither the start nor the end`)
    }
    assert.equal(await page.isVisible('#unfinished-section'), false, 'nothing left unfinished but what runs')

    // Pause the second upload with the keyboard: focus its Pause button, press Enter.
    await page.focus('#uploads li:nth-child(2) button.pause')
    await page.keyboard.press('Enter')
    await until('paused', async () => (await rowsOf(page))[1]?.status === 'paused')
    assert.equal(await page.isDisabled('#uploads li:nth-child(2) button.pause'), true)
    const pausedBytes = await page.$eval('#uploads li:nth-child(2) progress', (p) => (p as HTMLProgressElement).value)
    assert.ok(pausedBytes < files['second.bin']!.length, 'paused, the bar shows what the server confirmed')
    await new Promise((r) => setTimeout(r, 600))
    assert.equal(
      await page.$eval('#uploads li:nth-child(2) progress', (p) => (p as HTMLProgressElement).value),
      pausedBytes,
      'no progress while paused',
    )
    assert.match((await page.textContent('#announce')) ?? '', /second\.bin: paused/)
    assert.deepEqual(await accessibilityViolations(page), [], 'no WCAG 2.1 A/AA violation with uploads running')
    const shot = join(tmp, 'ui.png')
    await page.screenshot({ path: shot, fullPage: true })
    const png = await readFile(shot)
    assert.ok(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), 'a PNG')
    assert.ok(png.length > 10_000, `a real picture (${png.length} B)`)
    if (process.env['RUFH_UI_SCREENSHOT']) await copyFile(shot, process.env['RUFH_UI_SCREENSHOT'])
    await page.focus('#uploads li:nth-child(2) button.resume')
    await page.keyboard.press('Space')
    await removeToxic(api, PROXY, slow)

    await until('both completed', async () => (await rowsOf(page)).every((r) => r.status === 'completed'))
    const done = await rowsOf(page)
    assert.ok(
      done.every((r) => r.protocol === 'interop-10'),
      `protocols: ${done.map((r) => r.protocol)}`,
    )
    assert.match((await page.textContent('#uploads li:nth-child(1) .protocol')) ?? '', /IETF draft, interop 10/)
    for (const [i, name] of ['first.bin', 'second.bin'].entries()) {
      const id = new URL(done[i]!.url!).pathname.split('/').pop()!
      assert.equal(sha256(await readFile(join(uploads, id))), sha256(files[name]!), `${name} on the server`)
    }
    // The finished list links each upload; following a link downloads the bytes (GET on a completed upload).
    const links = await page.$$eval('#finished a', (as) =>
      as.map((a) => ({
        href: (a as HTMLAnchorElement).href,
        name: a.textContent,
        download: a.getAttribute('download'),
      })),
    )
    assert.deepEqual(links.map((l) => l.name).sort(), ['first.bin', 'second.bin'])
    for (const l of links) {
      assert.equal(l.download, l.name)
      const digest = await page.evaluate(async (href) => {
        const b = new Uint8Array(await (await fetch(href)).arrayBuffer())
        const d = new Uint8Array(await crypto.subtle.digest('SHA-256', b))
        return Array.from(d, (x) => x.toString(16).padStart(2, '0')).join('')
      }, l.href)
      assert.equal(digest, sha256(files[l.name!]!), `download of ${l.name}`)
    }
    assert.equal(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('rufh:')).length), 0)
    // The finished list outlives a reload too.
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    assert.equal(await page.locator('#finished a').count(), 2)
    assert.deepEqual(await accessibilityViolations(page), [], 'no WCAG 2.1 A/AA violation with finished uploads')
    assert.deepEqual(errors, [])
    await page.close()
  })

  it('cancel removes the upload from the server; a dropped file uploads', async () => {
    await resetToxics(api)
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await open(page)
    const slow = await addToxic(api, PROXY, { type: 'bandwidth', stream: 'upstream', attributes: { rate: 500 } })
    await page.setInputFiles('#files', [path('third.bin')])
    await until('an upload URL', async () => (await rowsOf(page))[0]?.url !== undefined)
    const url = (await rowsOf(page))[0]!.url!
    await page.getByRole('button', { name: 'Cancel third.bin' }).click()
    await until('cancelled', async () => (await rowsOf(page))[0]?.status === 'aborted')
    await removeToxic(api, PROXY, slow)
    await until('gone from the server', async () => (await fetch(url)).status === 404)
    // The client forgets its resume record after the DELETE's answer reaches the page, which can be after the server's
    // 404 is visible here: wait for it rather than look once (CI saw the record still there).
    const records = () => page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('rufh:')).length)
    await until('the resume record forgotten', async () => (await records()) === 0, 10_000)

    const bytes = files['dropped.bin']!
    const dt = await page.evaluateHandle((b64) => {
      const dt = new DataTransfer()
      const bin = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))
      dt.items.add(new File([bin], 'dropped.bin', { type: 'application/octet-stream' }))
      return dt
    }, bytes.toString('base64'))
    await page.dispatchEvent('#drop', 'drop', { dataTransfer: dt })
    await until('dropped file completed', async () => (await rowsOf(page))[1]?.status === 'completed')
    const id = new URL((await rowsOf(page))[1]!.url!).pathname.split('/').pop()!
    assert.equal(sha256(await readFile(join(uploads, id))), sha256(bytes))
    assert.deepEqual(errors, [])
    await page.close()
  })
})
