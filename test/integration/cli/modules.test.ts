import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PYDICOM } from '../../helpers/dicom-fixtures'
import { cliHome, DIALECTS, lines, ok, spawns, type CliHome } from './cli-harness'

// The seed's `nora -c NAME MODULE`: a project from a template in conf/modules/, through the built binary.
for (const dialect of DIALECTS) {
  describe(`nora -c NAME MODULE (${dialect})`, () => {
    let h: CliHome
    let dicoms: string
    const modules = () => join(h.home, 'conf', 'modules')
    const sql = async (statement: string) => JSON.parse(ok(await h.nora(['--sql', statement])).stdout) as Record<string, unknown>[]
    const projects = async () => lines(ok(await h.nora(['--admin', 'projects'])))

    beforeAll(async () => {
      h = await cliHome(dialect)
      dicoms = mkdtempSync(join(tmpdir(), 'nora-modules-dcm-'))
      copyFileSync(join(PYDICOM, 'MR_small.dcm'), join(dicoms, 'MR_small.dcm'))
    }, spawns(1))
    afterAll(async () => {
      await h?.close()
      if (dicoms) rmSync(dicoms, { recursive: true, force: true })
    }, spawns(1))

    test('nora init writes the shipped modules and keeps them (edited) when run again', async () => {
      const first = ok((await h.init()).result)
      expect(first.stdout).toContain(`wrote ${join(modules(), 'mri-research.json')}`)
      expect(first.stdout).toContain(`wrote ${join(modules(), 'clinical-ct.json')}`)
      const edited = `${readFileSync(join(modules(), 'clinical-ct.json'), 'utf8')}\n// edited\n`
      writeFileSync(join(modules(), 'clinical-ct.json'), edited)
      const again = ok((await h.init()).result)
      expect(again.stdout).toContain(`kept ${join(modules(), 'clinical-ct.json')}`)
      expect(readFileSync(join(modules(), 'clinical-ct.json'), 'utf8')).toBe(edited)
    }, spawns(2))

    test('-c NAME mri-research: policy, naming, batches, autoexec queue and autoloaders from the module; the queue runs on import', async () => {
      const r = ok(await h.nora(['-c', 'study1', 'mri-research']))
      expect(lines(r)[0]).toBe(`created project "study1" in ${join(h.dataRoot, 'projects', 'study1')} from module "mri-research"`)
      const [project] = await sql("SELECT id, description, settings FROM projects WHERE name = 'study1'")
      expect(project!.description).toBe('MRI research study: pseudonymised, one folder per protocol, a QC listing on every import')
      expect(JSON.parse(String(project!.settings)).policy).toEqual({ identity: 'pseudonymize', pseudonymMode: 'hash', naming: '{protocol|description}/s{series:3}', keepDicom: true, dates: 'keep' })
      const batches = await sql(`SELECT name, autoexec FROM batch_library WHERE project_id = ${Number(project!.id)}`)
      expect(batches.map((b) => [b.name, Number(b.autoexec)])).toEqual([['qc', 1]])
      const presets = await sql(`SELECT name, active, items FROM autoloaders WHERE project_id = ${Number(project!.id)}`)
      expect(presets.map((p) => [p.name, Number(p.active), JSON.parse(String(p.items)).length])).toEqual([['T1 and T2', 1, 2]])

      // The module's autoexecution queue is the project's DEFAULT: it runs on the import, pseudonymised.
      const imp = ok(await h.nora(['-p', 'study1', '--import', dicoms, '--autoexec_queue', 'DEFAULT', '--handle_job_result']))
      expect(lines(imp).at(-1)).toBe('DONE')
      const subjects = readdirSync(join(h.dataRoot, 'projects', 'study1'))
      expect(subjects).toHaveLength(1)
      expect(subjects[0]).not.toBe('4MR1') // pseudonymised
      const study = join(h.dataRoot, 'projects', 'study1', subjects[0]!, readdirSync(join(h.dataRoot, 'projects', 'study1', subjects[0]!))[0]!)
      const nii = join(study, 'mr', 's001.nii')
      expect(readFileSync(join(study, 'qc', 'series.txt'), 'utf8').trim()).toBe(`${nii} ${statSync(nii).size}`)
    }, spawns(6))

    test('--policy given with a module wins over the module; the other module', async () => {
      ok(await h.nora(['--createproject', 'ct1', 'clinical-ct', '--policy', 'pseudonymize:sequential', '--dates', 'remove']))
      const [p] = await sql("SELECT settings FROM projects WHERE name = 'ct1'")
      expect(JSON.parse(String(p!.settings)).policy).toEqual({ identity: 'pseudonymize', pseudonymMode: 'sequential', naming: '{description|protocol}/s{series:3}', keepDicom: true, dates: 'remove' })
    }, spawns(2))

    test('a wrong module says what is wrong (file, key) and lists the modules; no project is made', async () => {
      const unknown = await h.nora(['-c', 'x1', 'nosuch'])
      expect(unknown.code).toBe(2)
      expect(unknown.stderr.trim()).toBe(`nora: no module "nosuch" (looked for ${join(modules(), 'nosuch.json')}); available: clinical-ct, mri-research`)
      const path = await h.nora(['-c', 'x1', '../main'])
      expect(path.code).toBe(2)
      expect(path.stderr).toContain('available: clinical-ct, mri-research')

      const cases: [string, string, string][] = [
        ['typo', '{ polcy: "keep" }', 'conf/modules/typo.json: polcy: unknown key; known keys here: description, policy, dates, naming, keepdicom, batches, autoexec, autoloaders'],
        ['badpolicy', '{ policy: "anonymous" }', 'conf/modules/badpolicy.json: policy: expected one of "keep", "pseudonymize", "pseudonymize:hash", "pseudonymize:sequential", got "anonymous"'],
        ['noqueue', '{ batches: { a: { jobs: [{ type: "bash", name: "a", script: "true" }] } }, autoexec: "b" }', 'conf/modules/noqueue.json: autoexec "b" is none of its batches (a)'],
        ['badbatch', '{ batches: { broken: { level: "study" } } }', 'conf/modules/badbatch.json, batch "broken": '],
        ['badnaming', '{ naming: "{protocol}" }', 'conf/modules/badnaming.json: naming "{protocol}": give FOLDER/FILE'],
        ['badpreset', '{ autoloaders: [{ name: "x", items: [{ pattern: "../a.nii" }] }] }', 'conf/modules/badpreset.json: '],
        ['notjson', '{ policy: ', 'conf/modules/notjson.json: not valid JSON5'],
      ]
      for (const [name, text, message] of cases) {
        writeFileSync(join(modules(), `${name}.json`), text)
        const r = await h.nora(['-c', `p_${name}`, name])
        expect(r.code, `${name}: ${r.stderr}`).toBe(2)
        expect(r.stderr, name).toContain(message)
        rmSync(join(modules(), `${name}.json`))
      }
      expect(await projects()).not.toContain('p_badbatch')
      expect((await projects()).some((p) => p.startsWith('p_') || p === 'x1')).toBe(false)

      rmSync(modules(), { recursive: true })
      const none = await h.nora(['-c', 'x2', 'mri-research'])
      expect(none.code).toBe(2)
      expect(none.stderr).toContain(`there are none in ${modules()} (nora init writes the shipped examples there)`)
      // Without a module, -c still makes an empty project.
      expect(ok(await h.nora(['-c', 'plain'])).stdout).toContain('created project "plain"')
    }, spawns(14))
  })
}
