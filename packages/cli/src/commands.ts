/** The registry of subcommands: a name, and a module under `commands/` that is imported only when used. */
export interface Command {
  summary: string
  run(argv: string[]): Promise<number>
}

export const commandNames = ['serve', 'gateway', 'upload', 'conformance', 'load', 'netsim'] as const

export async function loadCommand(name: string): Promise<Command | undefined> {
  if (!(commandNames as readonly string[]).includes(name)) return undefined
  try {
    return (await import(`./commands/${name}.js`)) as Command
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(e).includes(`commands/${name}.js`))
      return undefined
    throw e
  }
}
