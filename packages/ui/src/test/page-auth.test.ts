/**
 * The upload page against `rufh serve --ui --jwt-secret-file`: the page itself loads without credentials; an upload
 * without a token is refused and stores nothing; with a token typed into the page (an HS256 JWT for alice) the upload
 * lands byte-exact and is owned by alice, and its finished link downloads the bytes with the token.
 */
import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, it } from 'node:test'
import { SignJWT } from 'jose'
import type { Browser } from 'playwright-core'
import { launchChromium } from '../../../client/dist/test/chromium.test.helper.js'
import { type Command, rufh } from './processes.test.helper.js'

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex')

describe('the upload page with bearer tokens (rufh serve --ui --jwt-secret-file)', { timeout: 60_000 }, () => {
  let tmp: string
  let uploads: string
  let serve: Command
  let origin: string
  let browser: Browser
  const secret = randomBytes(32).toString('hex')
  const file = randomBytes(300_000)

  before(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'rufh-ui-auth-'))
    uploads = join(tmp, 'uploads')
    await writeFile(join(tmp, 'secret'), secret)
    await writeFile(join(tmp, 'photo.bin'), file)
    serve = rufh(['serve', '--ui', '--jwt-secret-file', join(tmp, 'secret'), '--port', '0', '--dir', uploads])
    origin = (await serve.waitFor(/rufh upload page at (http:\/\/127\.0\.0\.1:\d+)\//))[1]!
    browser = await launchChromium()
  })
  after(async () => {
    const results = await Promise.allSettled([browser?.close(), serve?.stop()])
    await rm(tmp, { recursive: true, force: true })
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
    if (failed) throw failed.reason
  })

  it('refuses without a token (nothing stored), uploads and downloads with one', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(e.message))
    await page.goto(`${origin}/`)
    await page.waitForSelector('body[data-ready="true"]')
    const status = () => page.$eval('#uploads li:last-child', (li) => (li as HTMLElement).dataset['status'])

    await page.setInputFiles('#files', [join(tmp, 'photo.bin')])
    await page.waitForFunction(() => document.querySelector('#uploads li')?.getAttribute('data-status') === 'failed')
    assert.match((await page.textContent('#uploads li .note')) ?? '', /\S/, 'the row says why')
    const stored = async () => (await readdir(uploads).catch(() => [])).filter((n) => !n.startsWith('.'))
    assert.deepEqual(await stored(), [], 'a refused upload stores nothing')

    const jwt = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(secret))
    await page.getByLabel('Access token').focus()
    await page.keyboard.type(jwt)
    await page.setInputFiles('#files', [join(tmp, 'photo.bin')])
    await page.waitForFunction(
      () => document.querySelector('#uploads li:last-child')?.getAttribute('data-status') === 'completed',
    )
    assert.equal(await status(), 'completed')
    const url = await page.$eval('#uploads li:last-child', (li) => (li as HTMLElement).dataset['url']!)
    const id = new URL(url).pathname.split('/').pop()!
    assert.equal(sha256(await readFile(join(uploads, id))), sha256(file))
    const info = JSON.parse(await readFile(join(uploads, `${id}.json`), 'utf8')) as { owner?: string }
    assert.equal(info.owner, 'alice', 'the upload belongs to the token subject')
    assert.equal((await fetch(url)).status, 401, 'the upload cannot be read without a token')

    // The finished link downloads with the token (a plain link could not carry it).
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#finished a')])
    assert.equal(download.suggestedFilename(), 'photo.bin')
    assert.equal(sha256(await readFile((await download.path())!)), sha256(file))

    // The token stays for this tab across a reload.
    await page.reload()
    await page.waitForSelector('body[data-ready="true"]')
    assert.equal(await page.inputValue('#token'), jwt)
    assert.deepEqual(errors, [])
    await page.close()
  })
})
