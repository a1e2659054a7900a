/**
 * `createUiHandler`: answers GET and HEAD for the upload page (at `/` by default), its stylesheet and its modules,
 * and nothing else, so it goes in front of the upload handler of the same server. Everything is read once, when
 * the handler is made; the page is same-origin with the upload endpoint and says so in its Content-Security-Policy.
 */
import { createHash } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2'
import { loadModules, MODULE_PREFIX } from './modules.js'

export interface UiOptions {
  /** Path of the upload endpoint the page uploads to (the server's `basePath`), e.g. `/files/`. */
  endpoint: string
  /** Where the page is served. Default `/`. */
  path?: string
}

type Req = IncomingMessage | Http2ServerRequest
type Res = ServerResponse | Http2ServerResponse

/** Answers the request and returns true when it is one of the page's; returns false (untouched) otherwise. */
export type UiHandler = (req: Req, res: Res) => boolean

interface Asset {
  type: string
  body: Buffer
}

const ASSETS = new URL('../assets/', import.meta.url)

const escapeHtml = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!)

/** Normalises a path to `/x/` form (leading and trailing slash), as the server does its `basePath`. */
function slashed(p: string): string {
  let s = p.startsWith('/') ? p : `/${p}`
  if (!s.endsWith('/')) s = `${s}/`
  return s
}

export function createUiHandler(options: UiOptions): UiHandler {
  const endpoint = slashed(options.endpoint)
  const pagePath = options.path ?? '/'
  const modules = loadModules()
  const importMap = JSON.stringify(modules.importMap)
  // An import map must be inline; the policy allows exactly this one by its hash (CSP3 §8.2 hash-source).
  const mapHash = createHash('sha256').update(importMap).digest('base64')
  const html = readFileSync(new URL('index.html', ASSETS), 'utf8')
    .replace(
      '<script type="importmap">{"imports": {}}</script>',
      () => `<script type="importmap">${importMap}</script>`,
    )
    .replaceAll('{{endpoint}}', () => escapeHtml(endpoint))
    .replace('{{entry}}', () => escapeHtml(modules.entry))
  const assets = new Map<string, Asset>([
    [pagePath, { type: 'text/html; charset=utf-8', body: Buffer.from(html) }],
    ['/ui/app.css', { type: 'text/css; charset=utf-8', body: readFileSync(new URL('app.css', ASSETS)) }],
  ])
  for (const [url, body] of modules.files) assets.set(url, { type: 'text/javascript; charset=utf-8', body })
  const csp = [
    "default-src 'none'",
    `script-src 'self' 'sha256-${mapHash}'`,
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ')

  return (req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const asset = assets.get(path)
    if (!asset) return false
    const method = req.method ?? 'GET'
    if (method !== 'GET' && method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' })
      res.end()
      return true
    }
    const headers: Record<string, string> = {
      'content-type': asset.type,
      'content-length': String(asset.body.length),
      // Served from memory and small: revalidate every time, so an upgraded server never mixes old and new modules.
      'cache-control': 'no-cache',
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    }
    if (path === pagePath) headers['content-security-policy'] = csp
    res.writeHead(200, headers)
    if (method === 'HEAD') res.end()
    else res.end(asset.body)
    return true
  }
}

export { MODULE_PREFIX }
