/** Sizes as people read them (1 kB = 1000 B, as file managers show them). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`
  const units = ['kB', 'MB', 'GB', 'TB']
  let v = n
  let i = -1
  do {
    v /= 1000
    i++
  } while (v >= 1000 && i < units.length - 1)
  return `${v.toFixed(v < 10 ? 2 : 1)} ${units[i]}`
}

/** The protocol as a person reads it: `interop-10` → `IETF draft, interop 10`, `tus-1.0.0` → `tus 1.0.0`. */
export function protocolLabel(name: string): string {
  const m = /^interop-(\d+)$/.exec(name)
  if (m) return `IETF draft, interop ${m[1]}`
  return name.replace(/^tus-/, 'tus ')
}

/** A small element with a class and text. */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text !== undefined) e.textContent = text
  return e
}
