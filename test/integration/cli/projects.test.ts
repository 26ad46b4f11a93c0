import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { cliHome, DIALECTS, lines, ok, type CliHome, spawns } from './cli-harness'

interface Entry {
  project: string
  patients_id: string
  studies_id: string
  filename: string
  relative: string
  absolute: string
  size: number
  tags: string[]
}

// The seed's project commands through the built binary, on SQLite and on MariaDB (LIKE escaping differs per dialect).
for (const dialect of DIALECTS) {
  describe(`project commands (${dialect})`, () => {
    let h: CliHome
    let projects: string
    let outside: string
    const rel = (p: string) => join('data', 'projects', p)

    /** Writes a file under data/projects/ and returns its path relative to the home (the command's cwd). */
    function put(path: string, content = `${path}\n`): string {
      const abs = join(projects, path)
      mkdirSync(dirname(abs), { recursive: true })
      writeFileSync(abs, content)
      return rel(path)
    }
    async function selectJson(project: string, pattern: string, env?: Record<string, string>): Promise<Entry[]> {
      const r = ok(await h.nora(['-p', project, '--select', pattern, '--json'], env))
      return (JSON.parse(r.stdout) as Entry[]).sort((a, b) => a.relative.localeCompare(b.relative))
    }
    const relatives = (es: Entry[]) => es.map((e) => e.relative)
    async function selectPlain(project: string, pattern: string): Promise<string[]> {
      return lines(ok(await h.nora(['-p', project, '-s', pattern]))).sort()
    }

    beforeAll(async () => {
      h = await cliHome(dialect)
      ok((await h.init()).result)
      projects = join(h.dataRoot, 'projects')
      outside = mkdtempSync(join(tmpdir(), 'nora-outside-'))
      writeFileSync(join(outside, 'secret.txt'), 'not yours\n')
    }, spawns(1))
    afterAll(async () => {
      await h?.close()
      rmSync(outside, { recursive: true, force: true })
    }, spawns(2))

    test('--createproject NAME and -c NAME create the project and its folder', async () => {
      const long = ok(await h.nora(['--createproject', 'P']))
      expect(long.stdout.trim()).toBe(`created project "P" in ${join(projects, 'P')}`)
      const short = ok(await h.nora(['-c', 'Q']))
      expect(short.stdout).toContain('created project "Q"')
      expect(existsSync(join(projects, 'P'))).toBe(true)
      expect(existsSync(join(projects, 'Q'))).toBe(true)
      expect(lines(ok(await h.nora(['--admin', 'projects']))).sort()).toEqual(['P', 'Q'])

      const dup = await h.nora(['-c', 'P'])
      expect(dup.code).not.toBe(0)
      expect(dup.stderr).toContain('project "P" exists already')
      const bad = await h.nora(['-c', '../evil'])
      expect(bad.code).not.toBe(0)
      expect(existsSync(join(h.dataRoot, 'evil'))).toBe(false)
    }, spawns(5))

    test('an unknown project is named, with the command that lists them', async () => {
      const r = await h.nora(['-p', 'x', '--select', '*'])
      expect(r.code).not.toBe(0)
      expect(r.stderr.trim()).toBe('nora: no project "x"; nora --admin projects lists them')
    }, spawns(1))

    test('--add and -a register files in PID/SID/series/file, --addtag tags them; --select --json describes each', async () => {
      const a = put('P/S1/T1/series/a.txt')
      const b = put('P/S1/T1/series/b.txt', 'bbbb\n')
      const c = put('P/S2/T2/series/a.txt')
      const added = ok(await h.nora(['-p', 'P', '--add', a, b, '--addtag', 't1,t2']))
      expect(lines(added)).toEqual([join(projects, 'P/S1/T1/series/a.txt'), join(projects, 'P/S1/T1/series/b.txt')])
      const short = ok(await h.nora(['-p', 'P', '-a', join(h.home, c)])) // absolute path, short form
      expect(lines(short)).toEqual([join(projects, 'P/S2/T2/series/a.txt')])

      const all = await selectJson('P', 'series/*')
      expect(all).toHaveLength(3)
      expect(all[0]).toMatchObject({
        project: 'P',
        patients_id: 'S1',
        studies_id: 'T1',
        filename: 'series/a.txt',
        relative: 'S1/T1/series/a.txt',
        absolute: join(projects, 'P/S1/T1/series/a.txt'),
        tags: ['t1', 't2'],
      })
      expect(all[1]).toMatchObject({ relative: 'S1/T1/series/b.txt', size: 5, tags: ['t1', 't2'] })
      expect(all[2]).toMatchObject({ patients_id: 'S2', studies_id: 'T2', relative: 'S2/T2/series/a.txt', tags: [] })
      expect(all.map((e) => readFileSync(e.absolute, 'utf8'))).toEqual(['P/S1/T1/series/a.txt\n', 'bbbb\n', 'P/S2/T2/series/a.txt\n'])

      // Adding a file again keeps one entry.
      ok(await h.nora(['-p', 'P', '--add', a]))
      expect(await selectJson('P', 'series/*')).toHaveLength(3)
    }, spawns(5))

    test('--byfilename groups the matches by their path in the study', async () => {
      const r = ok(await h.nora(['-p', 'P', '-s', 'series/*', '--json', '--byfilename']))
      const grouped = JSON.parse(r.stdout) as Record<string, Entry[]>
      expect(Object.keys(grouped).sort()).toEqual(['series/a.txt', 'series/b.txt'])
      expect(grouped['series/a.txt']!.map((e) => e.relative).sort()).toEqual(['S1/T1/series/a.txt', 'S2/T2/series/a.txt'])
      expect(grouped['series/b.txt']!.map((e) => e.patients_id)).toEqual(['S1'])
    }, spawns(1))

    test('-s prints absolute paths; PID#SID/ and --psid narrow to one study', async () => {
      expect(await selectPlain('P', 'series/*')).toEqual(
        ['S1/T1/series/a.txt', 'S1/T1/series/b.txt', 'S2/T2/series/a.txt'].map((p) => join(projects, 'P', p)),
      )
      expect(await selectPlain('P', 'S2#T2/series/*')).toEqual([join(projects, 'P/S2/T2/series/a.txt')])
      expect(lines(ok(await h.nora(['-p', 'P', '--psid', 'S1#T1', '-s', 'series/a.txt'])))).toEqual([join(projects, 'P/S1/T1/series/a.txt')])
      expect(await selectPlain('P', 'nothing/*')).toEqual([])
      const escape = await h.nora(['-p', 'P', '-s', '../Q/*'])
      expect(escape.code).not.toBe(0)
      expect(escape.stderr).toContain('".."')
    }, spawns(5))

    test('--addtag T -s PATTERN and --rmtag T -s PATTERN change the tags of the matching files only', async () => {
      expect(ok(await h.nora(['-p', 'P', '--addtag', 't3', '-s', 'series/a.txt'])).stdout).toContain('added')
      let all = await selectJson('P', 'series/*')
      expect(all.map((e) => [e.relative, [...e.tags].sort()])).toEqual([
        ['S1/T1/series/a.txt', ['t1', 't2', 't3']],
        ['S1/T1/series/b.txt', ['t1', 't2']],
        ['S2/T2/series/a.txt', ['t3']],
      ])
      expect(ok(await h.nora(['-p', 'P', '--rmtag', 't1', '-s', 'series/*'])).stdout).toContain('removed')
      all = await selectJson('P', 'series/*')
      expect(all.map((e) => [e.relative, [...e.tags].sort()])).toEqual([
        ['S1/T1/series/a.txt', ['t2', 't3']],
        ['S1/T1/series/b.txt', ['t2']],
        ['S2/T2/series/a.txt', ['t3']],
      ])
    }, spawns(4))

    test('--out and --pathout give absolute paths under data/projects/P/PID/SID/', async () => {
      expect(ok(await h.nora(['-p', 'P', '--out', 'S1#T1/folder/name.nii'])).stdout.trim()).toBe(join(projects, 'P/S1/T1/folder/name.nii'))
      expect(ok(await h.nora(['-p', 'P', '-o', 'S9#T9/x/y.nii.gz'])).stdout.trim()).toBe(join(projects, 'P/S9/T9/x/y.nii.gz'))
      expect(ok(await h.nora(['-p', 'P', '--pathout', 'S1#T1/folder'])).stdout.trim()).toBe(`${join(projects, 'P/S1/T1/folder')}/`)
      expect(ok(await h.nora(['-p', 'P', '-pa', 'S1#T1/folder'])).stdout.trim()).toBe(`${join(projects, 'P/S1/T1/folder')}/`)
      for (const bad of ['folder/name.nii', 'S1#T1/../../x.nii', 'S1#T1/out/*.nii']) {
        const r = await h.nora(['-p', 'P', '--out', bad])
        expect(r.code).not.toBe(0)
        expect(r.stdout).toBe('')
      }
    }, spawns(7))

    test('--add refuses paths outside the project (outside the data root, through "..", through symlinks); nothing is registered', async () => {
      const before = relatives(await selectJson('P', '*'))
      const good = put('P/S1/T1/series/good.txt')
      put('Q/S1/T1/series/other.txt')
      symlinkSync(join(outside, 'secret.txt'), join(projects, 'P/S1/T1/series/link.txt'))
      symlinkSync(outside, join(projects, 'P/S1/T1/linkdir'))
      const attempts: [string, string][] = [
        [join(outside, 'secret.txt'), 'outside the data root'],
        [rel('P/S1/T1/series/../../../../../../' + outside.slice(1) + '/secret.txt'), 'through ".." out of the data root'],
        [rel('P/S1/T1/../../../Q/S1/T1/series/other.txt'), 'through ".." into another project'],
        [rel('P/S1/T1/series/link.txt'), 'a symlink to a file outside'],
        [rel('P/S1/T1/linkdir/secret.txt'), 'through a symlinked folder'],
      ]
      for (const [path, why] of attempts) {
        // The good file goes first: a refusal must come before anything is written.
        const r = await h.nora(['-p', 'P', '--add', good, path])
        expect(r.code, why).not.toBe(0)
        expect(r.stderr, why).toContain('outside')
        expect(r.stdout, why).toBe('')
      }
      expect(relatives(await selectJson('P', '*'))).toEqual(before)
      expect(await selectJson('Q', '*')).toEqual([])
    }, spawns(8))

    test('a user without rights is refused and nothing is written; grant read lets them select, write lets them add', async () => {
      ok(await h.nora(['--admin', 'adduser', 'bob']))
      const bobFile = put('P/S1/T1/series/bob.txt')
      const bob = { NORA_USER: 'bob' }

      const add = await h.nora(['-p', 'P', '--add', bobFile, '--addtag', 'bobs'], bob)
      expect(add.code).not.toBe(0)
      expect(add.stderr).toContain('"bob" may not write project "P"')
      const read = await h.nora(['-p', 'P', '-s', '*'], bob)
      expect(read.code).not.toBe(0)
      expect(read.stdout).toBe('')
      const tag = await h.nora(['-p', 'P', '--addtag', 'bobs', '-s', '*'], bob)
      expect(tag.code).not.toBe(0)
      const del = await h.nora(['-p', 'P', '--del', rel('P/S1/T1/series/a.txt')], bob)
      expect(del.code).not.toBe(0)
      expect(existsSync(join(projects, 'P/S1/T1/series/a.txt'))).toBe(true)
      const mk = await h.nora(['--admin', 'adduser', 'eve'], bob)
      expect(mk.code).not.toBe(0)
      expect(mk.stderr).toContain('site admins')

      const asAdmin = await selectJson('P', '*')
      expect(relatives(asAdmin)).not.toContain('S1/T1/series/bob.txt')
      expect(asAdmin.flatMap((e) => e.tags)).not.toContain('bobs')

      ok(await h.nora(['--admin', 'grant', 'bob', 'P', 'read']))
      expect(relatives(await selectJson('P', '*', bob))).toEqual(relatives(asAdmin))
      expect((await h.nora(['-p', 'P', '--add', bobFile], bob)).code).not.toBe(0)
      ok(await h.nora(['--admin', 'grant', 'bob', 'P', 'write']))
      ok(await h.nora(['-p', 'P', '--add', bobFile], bob))
      expect(relatives(await selectJson('P', '*'))).toContain('S1/T1/series/bob.txt')
      ok(await h.nora(['--admin', 'revoke', 'bob', 'P']))
      expect((await h.nora(['-p', 'P', '-s', '*'], bob)).code).not.toBe(0)
    }, spawns(15))

    test('--del removes a registered file from the store and the disk', async () => {
      const r = ok(await h.nora(['-p', 'P', '--del', rel('P/S1/T1/series/b.txt')]))
      expect(r.stdout).toContain('deleted 1 file(s)')
      expect(existsSync(join(projects, 'P/S1/T1/series/b.txt'))).toBe(false)
      expect(relatives(await selectJson('P', '*'))).not.toContain('S1/T1/series/b.txt')
      const again = await h.nora(['-p', 'P', '-d', rel('P/S1/T1/series/b.txt')])
      expect(again.code).not.toBe(0)
      expect(again.stderr).toContain('not registered')
    }, spawns(3))

    test('--del_pat PID#SID moves the study folder to data/trash and forgets its files', async () => {
      const r = ok(await h.nora(['-p', 'P', '--del_pat', 'S2#T2']))
      expect(r.stdout).toContain('deleted S2#T2')
      expect(existsSync(join(projects, 'P/S2/T2'))).toBe(false)
      const stamps = readdirSync(join(h.dataRoot, 'trash', 'P'))
      expect(stamps).toHaveLength(1)
      expect(readFileSync(join(h.dataRoot, 'trash', 'P', stamps[0]!, 'S2/T2/series/a.txt'), 'utf8')).toBe('P/S2/T2/series/a.txt\n')
      expect(relatives(await selectJson('P', '*')).filter((p) => p.startsWith('S2/'))).toEqual([])
      expect(relatives(await selectJson('P', '*')).length).toBeGreaterThan(0) // S1 untouched

      const unknown = await h.nora(['-p', 'P', '-dp', 'S2#T2'])
      expect(unknown.code).not.toBe(0)
      expect(unknown.stderr).toContain('no study "S2#T2"')
    }, spawns(4))

    test('file patterns: "_" is exactly one character, "*" any run, "%" and "!" only themselves', async () => {
      const names = ['a.txt', 'b.txt', 'ab.txt', 'abc.txt', '100%.txt', '100x.txt', '100xyz.txt', 'a!b.txt', 'c%d.txt']
      ok(await h.nora(['-p', 'Q', '--add', ...names.map((n) => put(`Q/S1/T1/pat/${n}`))]))
      const match = async (pattern: string) => (await selectJson('Q', pattern)).map((e) => e.filename.slice('pat/'.length)).sort()

      expect(await match('pat/_.txt')).toEqual(['a.txt', 'b.txt'])
      expect(await match('pat/a_.txt')).toEqual(['ab.txt'])
      expect(await match('pat/a*.txt')).toEqual(['a!b.txt', 'a.txt', 'ab.txt', 'abc.txt'].sort())
      expect(await match('pat/100%.txt')).toEqual(['100%.txt'])
      expect(await match('pat/100_.txt')).toEqual(['100%.txt', '100x.txt'])
      expect(await match('pat/100*.txt')).toEqual(['100%.txt', '100x.txt', '100xyz.txt'])
      expect(await match('pat/*%*')).toEqual(['100%.txt', 'c%d.txt'])
      expect(await match('pat/%')).toEqual([])
      expect(await match('pat/a!b.txt')).toEqual(['a!b.txt'])
      expect(await match('pat/*')).toHaveLength(names.length)
      expect(await match('*/100%.txt')).toEqual(['100%.txt'])
      // Like the seed's MySQL LIKE, matching ignores ASCII case, the same on both dialects.
      expect(await match('pat/A_.TXT')).toEqual(['ab.txt'])
    }, spawns(14))

    test('--sql: read-only unless --write, site admins only, --csv prints CSV', async () => {
      const count = async () => JSON.parse(ok(await h.nora(['--sql', 'SELECT COUNT(*) AS n FROM users'])).stdout)[0].n as number
      const users = await count()
      expect(users).toBe(2) // admin, bob

      const del = await h.nora(['--sql', 'DELETE FROM users'])
      expect(del.code).not.toBe(0)
      expect(del.stderr).toContain('--write')
      expect(await count()).toBe(users)

      const bob = await h.nora(['--sql', 'SELECT username FROM users'], { NORA_USER: 'bob' })
      expect(bob.code).not.toBe(0)
      expect(bob.stderr).toContain('site admins')
      expect(bob.stdout).toBe('')

      const csv = ok(await h.nora(['--sql', 'SELECT username FROM users', '--csv']))
      const [header, ...rows] = lines(csv)
      expect(header).toBe('username')
      expect(rows.sort()).toEqual(['admin', 'bob'])

      const q = ok(await h.nora(['-q', "SELECT 'a,b' AS x, 'say \"hi\"' AS y", '--csv']))
      expect(lines(q)).toEqual(['x,y', '"a,b","say ""hi"""'])
    }, spawns(7))
  })
}
