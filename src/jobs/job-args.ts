/**
 * The names of a generic job's arguments, pure (no server imports): the server (job-spec.ts) and the Batchtool in
 * the browser (src/web/pages/batchtool.ts) read a script's `$f1`, `${o2}`, ... with this one parser.
 */

/** The seed's argument types of a job. */
export type ArgType = 'FILE' | 'OUT' | 'PATHOUT' | 'NUMERIC' | 'STRING' | 'LOGICAL' | 'OPTION'
export const ARG_TYPES: readonly ArgType[] = ['FILE', 'OUT', 'PATHOUT', 'NUMERIC', 'STRING', 'LOGICAL', 'OPTION']

/** Generic jobs name their arguments by a prefix and a number 1..9: $f1 (FILE), $o1 (OUT), $p1 (PATHOUT), $n1 (NUMERIC), $s1 (STRING). */
export const PREFIX_TYPES: Record<string, ArgType> = { f: 'FILE', o: 'OUT', p: 'PATHOUT', n: 'NUMERIC', s: 'STRING' }
export const PREFIX_ORDER = 'fopns'

/**
 * The arguments a bash or python script refers to: `$f1`, `${o2}`, ... in order of first appearance. `$$f1` (an
 * escaped dollar in the seed's editor) and `\$f1` do not count.
 */
export function scriptReferences(script: string): string[] {
  const seen = new Set<string>()
  const re = /(\\)?\$(?:\{([fopns][1-9])\}|([fopns][1-9])(?![A-Za-z0-9_]))/g
  for (let m = re.exec(script); m; m = re.exec(script)) {
    if (m[1]) continue
    seen.add((m[2] ?? m[3])!)
  }
  return [...seen]
}

/** The type a generic argument's name implies (`f3` -> FILE), or undefined for other names. */
export function typeOfName(name: string): ArgType | undefined {
  const m = /^([fopns])[1-9]$/.exec(name)
  return m ? PREFIX_TYPES[m[1]!] : undefined
}

/** Positional order of generic names: f1..f9, o1..o9, p1..p9, n1..n9, s1..s9. */
export function compareGenericNames(a: string, b: string): number {
  return PREFIX_ORDER.indexOf(a[0]!) - PREFIX_ORDER.indexOf(b[0]!) || Number(a[1]) - Number(b[1])
}

/** `out/x.txt TAG(done, qc)` -> [`out/x.txt`, `done, qc`] as written (untrimmed), or null without TAG(...). */
export function splitOutTags(value: string): [name: string, tags: string] | null {
  const m = /^(.*?)\s+TAG\(([^)]*)\)\s*$/.exec(value)
  return m ? [m[1]!, m[2]!] : null
}
