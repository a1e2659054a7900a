/** One file's upload on the page: its row (name, progress bar, state, protocol, buttons) bound to a client Upload. */
import { createUpload, type InteropPreference, type Upload, type UploadStatus } from '@rufh/client/browser'
import { el, formatBytes, protocolLabel } from './format.js'
import type { Finished } from './memory.js'

export interface RowHost {
  finished(f: Finished): void
  /** A row's state changed (the page refreshes what depends on it). */
  changed(): void
  announce(text: string): void
}

const STATE_TEXT: Record<UploadStatus, string> = {
  idle: 'Starting',
  running: 'Uploading',
  paused: 'Paused',
  completed: 'Done',
  failed: 'Failed',
  aborted: 'Cancelled',
}

export class UploadRow {
  readonly li = el('li')
  /** The browser client's localStorage key for this file (see memory.ts). */
  readonly key: string
  private readonly upload: Upload
  private readonly bar = el('progress')
  private readonly state = el('span', 'state')
  private readonly bytes = el('span', 'bytes')
  private readonly protocol = el('span', 'protocol', '…')
  private readonly note = el('span', 'note')
  private readonly pauseButton = el('button', 'pause', 'Pause')
  private readonly resumeButton = el('button', 'resume', 'Resume')
  private readonly cancelButton = el('button', 'cancel', 'Cancel')

  constructor(
    private readonly file: File,
    endpoint: string,
    interop: InteropPreference,
    private readonly host: RowHost,
    headers: Record<string, string>,
  ) {
    this.key = `rufh:${endpoint} file:${file.name}:${file.size}:${file.type}:${file.lastModified}`
    this.upload = createUpload(file, { endpoint, interop, headers })
    this.build()
    this.bind()
  }

  get status(): UploadStatus {
    return this.upload.status
  }

  start(): void {
    this.upload.start().then(
      (r) => {
        this.showProtocol(r.protocol)
        this.host.finished({
          name: this.file.name,
          size: r.size,
          url: r.url ?? '',
          protocol: r.protocol,
          at: Date.now(),
        })
        this.host.announce(`${this.file.name}: upload finished`)
      },
      (e: unknown) => {
        const code = (e as { code?: string }).code
        if (code === 'ERR_ABORTED') return
        this.note.textContent = ` · ${(e as Error).message}`
        this.host.announce(`${this.file.name}: upload failed`)
      },
    )
  }

  private build(): void {
    const id = `row-${Math.random().toString(36).slice(2)}`
    const head = el('div', 'row-head')
    const name = el('span', 'name', this.file.name)
    name.id = `${id}-name`
    head.append(name, el('span', 'meta', formatBytes(this.file.size)))
    this.bar.max = Math.max(1, this.file.size)
    this.bar.value = 0
    this.bar.setAttribute('aria-labelledby', `${id}-name`)
    const meta = el('div', 'meta')
    meta.id = `${id}-meta`
    this.bar.setAttribute('aria-describedby', meta.id)
    meta.append(this.state, ' · ', this.bytes, ' · ', this.protocol, this.note)
    const actions = el('div', 'actions')
    for (const [b, verb] of [
      [this.pauseButton, 'Pause'],
      [this.resumeButton, 'Resume'],
      [this.cancelButton, 'Cancel'],
    ] as const) {
      b.type = 'button'
      b.setAttribute('aria-label', `${verb} ${this.file.name}`)
      actions.append(b)
    }
    this.li.append(head, this.bar, meta, actions)
    this.li.setAttribute('aria-labelledby', name.id)
    this.show(this.upload.status)
    this.sent(0)
  }

  private bind(): void {
    const up = this.upload
    up.on('status', ({ status }) => {
      this.show(status)
      if (status === 'paused') this.host.announce(`${this.file.name}: paused`)
      this.host.changed()
    })
    up.on('progress', (p) => {
      if (up.status === 'running') this.sent(p.sent)
    })
    // The protocol is settled once the upload resource exists (discovery, then creation or a stored record); the
    // client tells again when it steps down to an older version.
    up.on('version', ({ protocol }) => this.showProtocol(protocol))
    up.on('url', ({ url }) => {
      this.li.dataset['url'] = url
      this.showProtocol(up.protocol)
    })
    up.on('resumed', ({ offset }) => {
      this.li.dataset['resumedAt'] = String(offset)
      this.note.textContent = ` · continued at ${formatBytes(offset)}`
      this.host.announce(`${this.file.name}: continuing at ${formatBytes(offset)}`)
    })
    up.on('retry', ({ attempt, delay }) => {
      this.li.dataset['retries'] = String(attempt)
      this.note.textContent = ` · connection lost, retrying in ${(delay / 1000).toFixed(1)} s`
    })
    this.pauseButton.addEventListener('click', () => up.pause())
    this.resumeButton.addEventListener('click', () => up.resume())
    this.cancelButton.addEventListener('click', () => {
      void up.abort({ cancel: true }).then(() => {
        this.note.textContent = ' · removed from the server'
        this.host.announce(`${this.file.name}: cancelled`)
        this.host.changed()
      })
    })
  }

  private showProtocol(name: string): void {
    this.protocol.textContent = protocolLabel(name)
    this.li.dataset['protocol'] = name
  }

  /**
   * While running, the bar shows what was handed to the network (it can run ahead of the server by what buffers hold);
   * stopped, it falls back to what the server confirmed, which is where the upload will continue.
   */
  private sent(n: number, how = 'sent'): void {
    const v = Math.min(n, this.file.size)
    this.bar.value = v
    this.bytes.textContent = `${formatBytes(v)} of ${formatBytes(this.file.size)} ${how}`
  }

  private show(status: UploadStatus): void {
    this.li.dataset['status'] = status
    this.state.textContent = STATE_TEXT[status]
    if (status === 'completed') this.sent(this.file.size, 'stored')
    else if (status !== 'running' && status !== 'idle') this.sent(this.upload.offset, 'confirmed')
    this.pauseButton.disabled = status !== 'running'
    this.resumeButton.disabled = status !== 'paused'
    this.cancelButton.disabled = status === 'completed' || status === 'failed' || status === 'aborted'
  }
}
