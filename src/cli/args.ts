/** How many values an option takes: 0 (a flag), 1, or 'many' (every word up to the next option). */
export type Arity = 0 | 1 | 'many'
export interface OptionSpec {
  name: string
  short?: string[]
  arity: Arity
  /** What its value is called in usage lines (`--study UID...`). */
  value?: string
  /** A one-value option that may be given several times (`-k A=1 -k B=2`); others given twice are refused. */
  repeat?: boolean
}

/** Every option nora knows, with its short forms (`+j` is the seed's short form of --json). Which command takes which: spec.ts. */
export const OPTIONS: OptionSpec[] = [
  { name: 'project', short: ['-p'], arity: 1, value: 'PROJECT' },
  { name: 'add', short: ['-a'], arity: 'many', value: 'FILE' },
  { name: 'del', short: ['-d'], arity: 'many', value: 'FILE' },
  { name: 'del_pat', short: ['-dp'], arity: 'many', value: 'PID|PID#SID' },
  { name: 'select', short: ['-s'], arity: 1, value: 'PATTERN' },
  { name: 'out', short: ['-o'], arity: 1, value: 'PID#SID/FOLDER/NAME' },
  { name: 'pathout', short: ['-pa'], arity: 1, value: 'PID#SID/FOLDER' },
  { name: 'addtag', arity: 1, value: 'T1,T2' },
  { name: 'rmtag', arity: 1, value: 'T1,T2' },
  { name: 'sql', short: ['-q'], arity: 1, value: 'STATEMENT' },
  { name: 'createproject', short: ['-c'], arity: 1, value: 'NAME' },
  { name: 'admin', arity: 0 },
  { name: 'json', short: ['+j', '-j'], arity: 0 },
  { name: 'byfilename', arity: 0 },
  { name: 'csv', arity: 0 },
  { name: 'write', arity: 0 },
  { name: 'psid', arity: 1, value: 'PID#SID' },
  { name: 'home', arity: 1, value: 'DIR' },
  { name: 'user', arity: 1, value: 'NAME' },
  { name: 'help', short: ['-h'], arity: 0 },
  { name: 'version', short: ['-v'], arity: 0 },
  { name: 'timeout', arity: 1, value: 'SECONDS' },
  { name: 'password', arity: 1, value: 'PW' },
  { name: 'site-admin', arity: 0 },
  { name: 'name', arity: 1, value: 'LABEL' },
  { name: 'expires', arity: 1, value: '30d|2026-06-30' },
  { name: 'revoke-tokens', arity: 0 },
  { name: 'import', arity: 1, value: 'SRC' },
  { name: 'run-import', arity: 1, value: 'ID' },
  { name: 'patients_id', arity: 1, value: 'PIZ' },
  { name: 'studies_id', arity: 1, value: 'SID' },
  { name: 'pattern', arity: 1, value: 'REGEX' },
  { name: 'extrafiles_filter', arity: 1, value: 'EXT,EXT' },
  { name: 'autoexec_queue', arity: 1, value: 'NAME|DEFAULT' },
  { name: 'autoexec', arity: 1, value: 'NAME|none' },
  { name: 'launch_autoexec', arity: 1, value: 'PID#SID' },
  { name: 'handle_job_result', arity: 0 },
  { name: 'policy', arity: 1, value: 'keep|pseudonymize[:sequential]' },
  { name: 'pseudonyms', arity: 0 },
  { name: 'naming', arity: 1, value: "'FOLDER/FILE'" },
  { name: 'keepdicom', arity: 1, value: 'yes|no' },
  { name: 'dates', arity: 1, value: 'keep|remove' },
  { name: 'filter', arity: 1, value: '"TERMS"' },
  { name: 'reading', arity: 1, value: 'ID' },
  { name: 'exportmeta', arity: 'many', value: 'PATTERN' },
  { name: 'keys', arity: 1, value: 'FILE.KEY,*.KEY.KEY' },
  { name: 'level', arity: 1, value: 'patient|study|series' },
  { name: 'key', short: ['-k'], arity: 1, value: 'KEY=VALUE', repeat: true },
  { name: 'launch', short: ['-l'], arity: 1, value: 'JSON' },
  { name: 'launchfile', arity: 1, value: 'FILE' },
  { name: 'select-studies', arity: 1, value: 'FILTER' },
  { name: 'throwerror', arity: 0 },
  { name: 'state', arity: 1, value: 'q|r|e|d' },
  { name: 'kill', arity: 1, value: 'ID' },
  { name: 'suspend', arity: 1, value: 'ID' },
  { name: 'resume', arity: 1, value: 'ID' },
  { name: 'rerun-errors', arity: 1, value: 'BATCH' },
  { name: 'study', arity: 'many', value: 'UID' },
  { name: 'from-file', arity: 1, value: 'FILE' },
  { name: 'series', arity: 'many', value: 'UID' },
  { name: 'reference', arity: 1, value: 'PID/SID/FOLDER/IMAGE.nii' },
  { name: 'label', arity: 1, value: 'TEXT' },
  { name: 'push', arity: 1, value: 'NODE' },
  { name: 'image', arity: 1, value: 'IMAGE.nii' },
  { name: 'roi', arity: 1, value: 'MASK.nii' },
  { name: 'iterations', arity: 1, value: 'N' },
  { name: 'min', arity: 1, value: 'VOXELS' },
  { name: 'seed', arity: 1, value: 'I,J,K' },
  { name: 'low', arity: 1, value: 'L' },
  { name: 'high', arity: 1, value: 'H' },
  { name: 'connected', arity: 1, value: '6|26' },
  { name: 'affine', arity: 1, value: 'M.txt' },
  { name: 'warp', arity: 1, value: 'FIELD.nii.gz' },
  { name: 'grid', arity: 1, value: 'REF.nii|world' },
  { name: 'voxel', arity: 1, value: 'MM' },
  { name: 'interp', arity: 1, value: 'linear|nearest' },
  { name: 'marker', arity: 1, value: 'X,Y,Z,DX,DY,DZ,SIGMA', repeat: true },
  { name: 'base', arity: 1, value: 'FIELD.nii.gz' },
  { name: 'moving-points', arity: 1, value: 'POINTS.txt' },
  { name: 'fixed-points', arity: 1, value: 'POINTS.txt' },
  { name: 'sigma', arity: 1, value: 'MM' },
]

export interface ParsedArgs {
  /** Words that are not options or their values (a subcommand and its arguments). */
  positional: string[]
  options: Map<string, string[]>
  /**
   * What the parser could not take (unknown options, missing values, a one-value option given twice). They are
   * reported once the command is known (check-args.ts), so that `--help` still works, e.g. `--import --help`.
   */
  problems?: string[]
}

export const optionNamed = new Map(OPTIONS.map((o) => [o.name, o]))
const byToken = new Map<string, OptionSpec>()
for (const o of OPTIONS) {
  byToken.set(`--${o.name}`, o)
  for (const s of o.short ?? []) byToken.set(s, o)
}

/** A word that is meant as an option: a known one, or -x/--xy (not `-`, `--` or a negative number). */
export const looksLikeOption = (word: string) => byToken.has(word) || /^--?[A-Za-z]/.test(word)

/**
 * Splits argv into options (by OPTIONS: `--opt value`, `--opt=value`, short forms, `--opt v1 v2` for many-valued
 * ones) and positional words; every word after `--` is positional. A value that looks like an option is not taken
 * as one (`--import --help` is an --import without its SRC, and help): such a value goes as `--opt=VALUE`.
 */
export function parseArgs(argv: string[]): ParsedArgs {
  const positional: string[] = []
  const options = new Map<string, string[]>()
  const problems: string[] = []
  const problem = (p: string) => void (problems.includes(p) || problems.push(p))
  for (let i = 0; i < argv.length; i++) {
    let token = argv[i]!
    if (token === '--') {
      positional.push(...argv.slice(i + 1))
      break
    }
    let inline: string | undefined
    const eq = token.indexOf('=')
    if (token.startsWith('--') && eq > 2) {
      inline = token.slice(eq + 1)
      token = token.slice(0, eq)
    }
    const spec = byToken.get(token)
    if (!spec) {
      if (looksLikeOption(token)) problem(`unknown option ${token}`)
      else positional.push(argv[i]!)
      continue
    }
    const values = options.get(spec.name) ?? []
    const next = () => (i + 1 < argv.length && !looksLikeOption(argv[i + 1]!) && argv[i + 1] !== '--' ? argv[++i]! : undefined)
    if (spec.arity === 0) {
      if (inline !== undefined) problem(`--${spec.name} takes no value`)
    } else if (inline !== undefined) {
      values.push(inline)
    } else if (spec.arity === 1) {
      const v = next()
      if (v === undefined) problem(`${token} needs a value (${spec.value ?? 'VALUE'})`)
      else values.push(v)
    } else {
      const before = values.length
      for (let v = next(); v !== undefined; v = next()) values.push(v)
      if (values.length === before) problem(`${token} needs at least one value (${spec.value ?? 'VALUE'}...)`)
    }
    if (spec.arity === 1 && !spec.repeat && new Set(values).size > 1) problem(`--${spec.name} given twice ("${values[0]}", "${values.at(-1)}"): give it once`)
    options.set(spec.name, values)
  }
  return { positional, options, problems }
}

export const has = (a: ParsedArgs, name: string) => a.options.has(name)
export const one = (a: ParsedArgs, name: string): string | undefined => a.options.get(name)?.at(-1)
export const many = (a: ParsedArgs, name: string): string[] => a.options.get(name) ?? []
export const tagsOf = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean)
