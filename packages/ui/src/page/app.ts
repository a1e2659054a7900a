/**
 * The upload page: files chosen or dropped become rows (row.ts) uploading at once through the browser build of
 * @rufh/client; unfinished uploads remembered by the client and finished ones are listed from localStorage
 * (memory.ts), so a reload loses nothing but the File handles, which a page cannot keep: choosing the same file again
 * continues its upload.
 */
import type { InteropPreference } from '@rufh/client/browser'
import { el, formatBytes, protocolLabel } from './format.js'
import { addFinished, clearFinished, type Finished, finished, forget, unfinished } from './memory.js'
import { UploadRow } from './row.js'

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T

const meta = document.querySelector<HTMLMetaElement>('meta[name="rufh-endpoint"]')
const endpoint = new URL(meta?.content ?? '/files/', location.href).href
const rows: UploadRow[] = []
const input = $<HTMLInputElement>('files')
const drop = $<HTMLDivElement>('drop')
const protocol = $<HTMLSelectElement>('protocol')
const announcer = $<HTMLDivElement>('announce')
const token = $<HTMLInputElement>('token')
// The tab's session, not localStorage: a credential should not outlive the tab.
const TOKEN_KEY = 'rufh-ui:token'

/** The Authorization field every request carries, when a token was given. */
function credentials(): Record<string, string> {
  const t = token.value.trim()
  return t ? { authorization: `Bearer ${t}` } : {}
}

function interop(): InteropPreference {
  const v = protocol.value
  if (v === 'auto' || v === 'tus') return v
  return Number(v) as InteropPreference
}

const host = {
  finished(f: Finished) {
    addFinished(f)
    renderFinished()
  },
  changed() {
    renderUnfinished()
  },
  announce(text: string) {
    announcer.textContent = text
  },
}

function add(files: Iterable<File>): void {
  for (const file of files) {
    const row = new UploadRow(file, endpoint, interop(), host, credentials())
    // The same file already on its way in this page: a second upload of it would only compete with the first.
    const busy = rows.find((r) => r.key === row.key && (r.status === 'running' || r.status === 'paused'))
    if (busy) continue
    rows.push(row)
    $('uploads').append(row.li)
    row.start()
  }
  $('uploads-empty').hidden = rows.length > 0
  renderUnfinished()
}

function renderUnfinished(): void {
  const active = new Set(rows.filter((r) => r.status === 'running' || r.status === 'paused').map((r) => r.key))
  const list = unfinished(endpoint).filter((u) => !active.has(u.key))
  const ul = $('unfinished')
  ul.replaceChildren(
    ...list.map((u) => {
      const li = el('li')
      li.dataset['url'] = u.url
      const head = el('div', 'row-head')
      head.append(el('span', 'name', u.name), el('span', 'meta', formatBytes(u.size)))
      const b = el('button', 'forget', 'Forget')
      b.type = 'button'
      b.setAttribute('aria-label', `Forget ${u.name}`)
      b.addEventListener('click', () => {
        forget(u.key)
        renderUnfinished()
      })
      li.append(head, b)
      return li
    }),
  )
  $('unfinished-section').hidden = list.length === 0
}

function renderFinished(): void {
  const list = finished()
  $('finished').replaceChildren(
    ...list.map((f) => {
      const li = el('li')
      const a = el('a', 'name', f.name)
      a.href = f.url
      a.download = f.name
      a.addEventListener('click', (e) => {
        // A link cannot carry an Authorization field: with a token, fetch the bytes and save them from memory.
        const auth = credentials()
        if (!auth['authorization']) return
        e.preventDefault()
        void download(f, auth)
      })
      li.append(a, el('div', 'meta', `${formatBytes(f.size)} · ${protocolLabel(f.protocol)}`))
      return li
    }),
  )
  $('finished-empty').hidden = list.length > 0
  $('clear-finished').hidden = list.length === 0
}

async function download(f: Finished, headers: Record<string, string>): Promise<void> {
  const r = await fetch(f.url, { headers })
  if (!r.ok) {
    host.announce(`${f.name}: download refused (${r.status})`)
    return
  }
  const url = URL.createObjectURL(await r.blob())
  const a = el('a')
  a.href = url
  a.download = f.name
  a.click()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

token.value = sessionStorage.getItem(TOKEN_KEY) ?? ''
token.addEventListener('input', () => sessionStorage.setItem(TOKEN_KEY, token.value))
input.addEventListener('change', () => {
  if (input.files) add(Array.from(input.files))
  // The same file can be chosen again later (after a cancel, or to continue it).
  input.value = ''
})
for (const type of ['dragenter', 'dragover'] as const)
  drop.addEventListener(type, (e) => {
    e.preventDefault()
    drop.classList.add('over')
  })
drop.addEventListener('dragleave', () => drop.classList.remove('over'))
drop.addEventListener('drop', (e) => {
  e.preventDefault()
  drop.classList.remove('over')
  if (e.dataTransfer?.files.length) add(Array.from(e.dataTransfer.files))
})
// A file dropped beside the zone must not make the browser navigate away to it.
for (const type of ['dragover', 'drop'] as const) document.addEventListener(type, (e) => e.preventDefault())
$('clear-finished').addEventListener('click', () => {
  clearFinished()
  renderFinished()
})

$('noscript').hidden = true
renderUnfinished()
renderFinished()
document.body.dataset['ready'] = 'true'
