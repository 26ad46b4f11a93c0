import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { sql, waitFor } from '../helpers/dcmtk'
import { makeHome, type TestHome } from '../helpers/home'
import { runNora } from '../helpers/nora-binary'
import { sge } from '../services/sge'
import { serviceOrSkip, slurm, titled } from '../services/slurm'
import { type CanarySnapshot, expectCanaryIntact, plantCanary } from './canary'

/**
 * Item 3 of issue 11 (write on one project was a root shell on the server), against the built ./nora serving on a
 * real port, with batches launched through the API by a user with write+jobs on projA, on the local runner, real Slurm
 * and real SGE (each skipped outside CI when its scheduler cannot start). The job's own output (its log)
 * says what it could do: which uid it ran as, whether it could read projB's file or the database, what `nora --sql`,
 * `nora --admin grant` and NORA_USER=admin got, and whether the seed's `nora -a $1 --addtag mytag` worked. Reference
 * values come from the system (getent, stat), not from nora's code.
 */

const PW = 'pw-0123456789'

/** The uid of an account by getent (the system's answer). */
const uidOf = (name: string) => Number(Bun.spawnSync(['getent', 'passwd', name], { stdout: 'pipe' }).stdout.toString().split(':')[2])

interface World {
  home: TestHome
  canary: CanarySnapshot
  annToken: string
  bobToken: string
  secretB: string
  inputA: string
}

async function nora(home: TestHome, args: string[], env: Record<string, string> = {}) {
  const r = await runNora(args, { home: home.home, env, timeoutMs: 120_000 })
  return r
}

async function ok(home: TestHome, args: string[], env: Record<string, string> = {}): Promise<string> {
  const r = await nora(home, args, env)
  if (r.code !== 0) throw new Error(`nora ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return r.stdout
}

/** A started server with the canary, projA (ann: jobs, bob: write) and projB (ann: none), one file in each. */
async function world(extra = '', env: Record<string, string> = {}): Promise<World> {
  const home = makeHome({ extra })
  const started = await nora(home, ['start'], env)
  if (started.code !== 0) throw new Error(`nora start: ${started.stdout}${started.stderr}`)
  const canary = await plantCanary(home)
  for (const u of ['ann', 'bob']) await ok(home, ['--admin', 'adduser', u, '--password', PW])
  for (const p of ['projA', 'projB']) await ok(home, ['--createproject', p])
  const inputA = join(home.home, 'data', 'projects', 'projA', 'P1', 'S1', 'in.txt')
  const secretB = join(home.home, 'data', 'projects', 'projB', 'PB', 'SB', 'secret.txt')
  for (const [p, f, text] of [['projA', inputA, 'input of A\n'], ['projB', secretB, 'secret of B\n']] as const) {
    mkdirSync(join(f, '..'), { recursive: true })
    writeFileSync(f, text)
    await ok(home, ['-p', p, '--add', f])
  }
  await ok(home, ['--admin', 'grant', 'ann', 'projA', 'jobs'])
  await ok(home, ['--admin', 'grant', 'bob', 'projA', 'write'])
  const annToken = (await ok(home, ['--admin', 'token', 'ann'])).trim()
  const bobToken = (await ok(home, ['--admin', 'token', 'bob'])).trim()
  return { home, canary, annToken, bobToken, secretB, inputA }
}

/** What the probe job does; every line it prints is KEY=VALUE, read back from its log. */
function probeScript(w: World): string {
  const db = join(w.home.home, 'data', 'nora.db')
  const conf = join(w.home.home, 'conf', 'main.conf')
  return [
    'echo "uid=$(id -u)"',
    'echo "groups=$(id -G)"',
    'echo "token=$NORA_RUN_TOKEN"',
    `cat '${w.secretB}' >/dev/null 2>&1; echo "readB=$?"`,
    `ls '${join(w.secretB, '..', '..', '..')}' >/dev/null 2>&1; echo "listB=$?"`,
    `cat '${db}' >/dev/null 2>&1; echo "readDb=$?"`,
    `cat '${conf}' >/dev/null 2>&1; echo "readConf=$?"`,
    `nora --sql 'SELECT * FROM users' > sql.out 2>&1; echo "sql=$?"; echo "sqlSays=$(head -c 300 sql.out | tr '\\n' ' ')"; grep -c argon2 sql.out | sed 's/^/sqlHashes=/'`,
    `NORA_USER=admin nora --user admin --sql 'SELECT password_hash FROM users' > sqlu.out 2>&1; echo "sqlAsAdmin=$?"; grep -c argon2 sqlu.out | sed 's/^/sqlAsAdminHashes=/'`,
    `env -u NORA_RUN_TOKEN NORA_USER=admin nora --sql 'SELECT password_hash FROM users' > sqln.out 2>&1; echo "sqlNoToken=$?"; grep -c argon2 sqln.out | sed 's/^/sqlNoTokenHashes=/'`,
    `nora --admin grant ann projB admin > grant.out 2>&1; echo "grant=$?"`,
    `nora -p projB --select '*' > selB.out 2>&1; echo "selectB=$?"`,
    'nora -a "$1" --addtag mytag > tag.out 2>&1; echo "addtag=$?"; echo "tagSays=$(tr \'\\n\' \' \' < tag.out)"',
    'echo done > "$o1"; echo "wrote=$?"',
    'rm -f sql.out sqlu.out sqln.out grant.out selB.out tag.out',
  ].join('\n')
}

/** Launches the probe as ann through the API, waits for its run to end, returns its log as KEY -> VALUE. */
async function runProbe(w: World): Promise<{ batchId: number; values: Record<string, string>; log: string; state: string }> {
  const res = await fetch(`${w.home.url}api/projects/projA/batches/launch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${w.annToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ batch: { studies: ['P1#S1'], jobs: [{ type: 'bash', name: 'probe', script: probeScript(w), args: { f1: 'in.txt', o1: 'out/probe.txt' } }] } }),
  })
  const text = await res.text()
  expect(res.status, text).toBe(202)
  const { batchId } = JSON.parse(text) as { batchId: number }
  const run = await waitFor(
    `run of batch ${batchId} to end`,
    async () => (await sql<{ state: string; reason: string }>(w.home, `SELECT state, reason FROM runs WHERE batch_id = ${batchId}`)).find((r) => r.state === 'done' || r.state === 'error'),
    180_000,
  )
  const [g] = await sql<{ log_path: string }>(w.home, `SELECT g.log_path FROM gridjobs g JOIN commands c ON c.id = g.command_id WHERE c.batch_id = ${batchId}`)
  const log = readFileSync(g!.log_path, 'utf8')
  const values: Record<string, string> = {}
  for (const line of log.split('\n')) {
    const m = /^(\w+)=(.*)$/.exec(line)
    if (m) values[m[1]!] = m[2]!
  }
  return { batchId, values, log, state: `${run.state} ${run.reason ?? ''}`.trim() }
}

/** The checks shared by the local runner and Slurm. */
async function expectIsolated(w: World) {
  const { batchId, values, log, state } = await runProbe(w)
  expect(state, log).toBe('done')
  const jobsUid = uidOf('nora-jobs')
  // Not root: the job ran as nora-jobs, with projA's group only.
  expect(values.uid, log).toBe(String(jobsUid))
  expect(values.uid).not.toBe('0')
  const gidA = Bun.spawnSync(['stat', '-c', '%g', join(w.home.home, 'data', 'projects', 'projA')], { stdout: 'pipe' }).stdout.toString().trim()
  // Slurm adds the account's own group (initgroups), which owns nothing; no other project's group is there.
  const own = Bun.spawnSync(['getent', 'passwd', 'nora-jobs'], { stdout: 'pipe' }).stdout.toString().split(':')[3]
  expect(values.groups!.split(' ').filter((g) => g !== own)).toEqual([gidA])
  // projB's file, projB's folder, the database and conf: EACCES (cat/ls exit 1 or 2, never 0).
  for (const k of ['readB', 'listB', 'readDb', 'readConf']) expect(`${k}=${values[k]}`).not.toBe(`${k}=0`)
  // nora --sql and --admin from inside the job: refused (exit 3), no password hash anywhere.
  expect(values.sql, log).toBe('3')
  expect(values.sqlSays).toContain('not available inside a job')
  expect(values.sqlHashes).toBe('0')
  expect(values.sqlAsAdmin).toBe('3')
  expect(values.sqlAsAdminHashes).toBe('0')
  expect(values.sqlNoToken).not.toBe('0') // without the token, nora cannot even read its configuration
  expect(values.sqlNoTokenHashes).toBe('0')
  expect(values.grant).toBe('3')
  expect(values.selectB).toBe('3')
  // The seed's example: project and study from the run, the file tagged.
  expect(values.addtag, values.tagSays).toBe('0')
  const tags = await sql<{ tag: string }>(
    w.home,
    `SELECT t.tag FROM file_tags t JOIN files f ON f.id = t.file_id JOIN projects p ON p.id = f.project_id WHERE p.name = 'projA' AND f.path = 'in.txt'`,
  )
  expect(tags.map((t) => t.tag)).toContain('mytag')
  // The job's output, written by nora-jobs, is registered and readable by nora.
  expect(values.wrote).toBe('0')
  const out = JSON.parse(await ok(w.home, ['-p', 'projA', '--select', 'out/probe.txt', '--json'])) as { absolute: string }[]
  expect(out).toHaveLength(1)
  expect(readFileSync(out[0]!.absolute, 'utf8')).toBe('done\n')
  expect(statSync(out[0]!.absolute).uid).toBe(jobsUid)
  // The run's token died with the run: no row left, and replaying it is refused.
  expect(await sql<{ n: number }>(w.home, `SELECT COUNT(*) AS n FROM run_tokens t JOIN runs r ON r.id = t.run_id WHERE r.batch_id = ${batchId}`)).toEqual([{ n: 0 }])
  expect(values.token).toStartWith('nora_run_')
  const replay = await fetch(`${w.home.url}api/job-cli`, {
    method: 'POST',
    headers: { authorization: `Bearer ${values.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ positional: [], options: { select: ['*'] } }),
  })
  expect(replay.status).toBe(401)
  // A run token is no API token either.
  expect((await fetch(`${w.home.url}api/projects/projA/studies`, { headers: { authorization: `Bearer ${values.token}` } })).status).toBe(401)
}

describe('job isolation on the local runner (nora as root, jobs as nora-jobs)', () => {
  let w: World
  beforeAll(async () => {
    w = await world()
  }, 240_000)
  afterAll(async () => {
    if (w) await runNora(['stop'], { home: w.home.home })
    w?.home.cleanup()
  }, 60_000)

  test('a batch of a user with write+jobs on projA runs as nora-jobs: no root, no projB, no database, no --sql/--admin; `nora -a $1 --addtag mytag` works', async () => {
    await expectIsolated(w)
  }, 240_000)

  test('write without jobs cannot launch: the API answers 403, the CLI exits 3; after a grant of jobs it can', async () => {
    const batch = { studies: ['P1#S1'], jobs: [{ type: 'bash', name: 'x', script: 'true' }] }
    const res = await fetch(`${w.home.url}api/projects/projA/batches/launch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    })
    expect(res.status).toBe(403)
    expect(((await res.json()) as { error: string }).error).toContain('may not run jobs on project "projA"')
    const cli = await nora(w.home, ['--user', 'bob', '-p', 'projA', '--launch', JSON.stringify(batch)])
    expect(cli.code).toBe(3)
    expect(cli.stderr).toContain('nora --admin grant bob projA jobs')
    // Saving a batch (it may become the autoexecution queue) needs jobs too.
    const save = await fetch(`${w.home.url}api/projects/projA/batches`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'mine', batch }),
    })
    expect(save.status).toBe(403)
    await ok(w.home, ['--admin', 'grant', 'bob', 'projA', 'jobs'])
    const again = await fetch(`${w.home.url}api/projects/projA/batches/launch`, {
      method: 'POST',
      headers: { authorization: `Bearer ${w.bobToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ batch }),
    })
    expect(again.status).toBe(202)
  }, 120_000)

  test('modes: data/nora.db 0600, data/keys 0700, conf 0640 at most, the data root passable only, project folders 2770 of their own group', async () => {
    const mode = (p: string) => statSync(join(w.home.home, p)).mode & 0o7777
    expect(mode('data/nora.db').toString(8)).toBe('600')
    expect(mode('data/keys').toString(8)).toBe('700')
    expect(mode('conf/main.conf') & 0o137).toBe(0)
    expect(mode('data').toString(8)).toBe('711')
    for (const d of ['spool', 'uploads', 'imports', 'trash', 'logs']) expect(mode(`data/${d}`) & 0o007).toBe(0)
    for (const p of ['projA', 'projB', 'canary']) {
      const st = statSync(join(w.home.home, 'data', 'projects', p))
      expect((st.mode & 0o7777).toString(8)).toBe('2770')
      expect(st.gid).not.toBe(0)
    }
    expect(statSync(join(w.home.home, 'data', 'projects', 'projA')).gid).not.toBe(statSync(join(w.home.home, 'data', 'projects', 'projB')).gid)
    const status = await nora(w.home, ['status'])
    expect(status.stdout).toMatch(/^jobs +run as nora-jobs \(uid \d+\), each with its project's group/m)
  }, 60_000)

  test('the canary is intact', async () => {
    await expectCanaryIntact(w.home, w.canary)
  }, 60_000)
})

const cluster = await serviceOrSkip('slurm', slurm)

describe.skipIf(!!cluster.skip)(titled('job isolation on Slurm (sbatch --uid/--gid)', cluster.skip), () => {
  let w: World | undefined
  beforeAll(async () => {
    w = await world('jobs: { queue: "slurm" }', { SLURM_CONF: cluster.handle!.conf })
  }, 240_000)
  afterAll(async () => {
    if (w) await runNora(['stop'], { home: w.home.home })
    w?.home.cleanup()
    await cluster.handle?.stop()
  }, 60_000)

  test('the same probe on real Slurm: nora-jobs with projA\'s group, nothing of projB, the database or --sql; the tag works; the canary is intact', async () => {
    await expectIsolated(w!)
    await expectCanaryIntact(w!.home, w!.canary)
  }, 300_000)
})

const cell = await serviceOrSkip('sge', sge)

describe.skipIf(!!cell.skip)(titled('job isolation on SGE (root job dropped by setpriv)', cell.skip), () => {
  let w: World | undefined
  beforeAll(async () => {
    const env: Record<string, string> = {}
    for (const k of ['SGE_ROOT', 'SGE_CELL', 'SGE_QMASTER_PORT', 'SGE_EXECD_PORT']) if (cell.handle!.env[k]) env[k] = cell.handle!.env[k]!
    w = await world('jobs: { queue: "sge" }', env)
  }, 240_000)
  afterAll(async () => {
    if (w) await runNora(['stop'], { home: w.home.home })
    w?.home.cleanup()
    await cell.handle?.stop()
  }, 60_000)

  test('the same probe on real SGE: nora-jobs with projA\'s group only, nothing of projB, the database or --sql; the tag works; the canary is intact', async () => {
    await expectIsolated(w!)
    await expectCanaryIntact(w!.home, w!.canary)
  }, 300_000)
})
