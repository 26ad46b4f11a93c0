import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { DICOMDIRTESTS, zipOf } from '../../helpers/dicom-fixtures'
import { makeHome, type TestHome } from '../../helpers/home'
import { runNora } from '../../helpers/nora-binary'

async function waitForImport(url: string, token: string, id: number): Promise<Record<string, any>> {
  for (let i = 0; i < 300; i++) {
    const r = await fetch(`${url}api/imports/${id}`, { headers: { authorization: `Bearer ${token}` } })
    const body = (await r.json()) as Record<string, any>
    if (body.state === 'done' || body.state === 'failed') return body
    await Bun.sleep(100)
  }
  throw new Error(`import ${id} did not finish`)
}

// The seed's curl line: curl "http://HOST/index.php?project=P" -F 'call={"cmd":"import","user":"U","token":"T"}' -F 'thefile=@data.zip'
describe('DICOM import over HTTP (built binary)', () => {
  let home: TestHome
  let token: string
  let zip: string
  const form = (call: object) => {
    const f = new FormData()
    f.set('call', JSON.stringify(call))
    f.set('thefile', Bun.file(zip), 'data.zip')
    return f
  }

  beforeAll(async () => {
    home = makeHome()
    zip = zipOf(DICOMDIRTESTS)
    await runNora(['init'], { home: home.home })
    await runNora(['--createproject', 'WHATEVER'], { home: home.home })
    await runNora(['--admin', 'adduser', 'donaldduck', '--password', 'quack-quack-1'], { home: home.home })
    await runNora(['--admin', 'adduser', 'reader', '--password', 'quack-quack-2'], { home: home.home })
    await runNora(['--admin', 'grant', 'donaldduck', 'WHATEVER', 'write'], { home: home.home })
    await runNora(['--admin', 'grant', 'reader', 'WHATEVER', 'read'], { home: home.home })
    token = (await runNora(['--admin', 'token', 'donaldduck'], { home: home.home })).stdout.trim()
    expect((await runNora(['start'], { home: home.home })).code).toBe(0)
  }, 60_000)
  afterAll(async () => {
    await runNora(['stop'], { home: home.home })
    home.cleanup()
  })

  test('the seed curl call imports the zip and answers JSON with an import id', async () => {
    const r = await fetch(`${home.url}index.php?project=WHATEVER`, { method: 'POST', body: form({ cmd: 'import', user: 'donaldduck', token }) })
    expect(r.status).toBe(202)
    const { id } = (await r.json()) as { id: number }
    const done = await waitForImport(home.url, token, id)
    expect(done.counts).toMatchObject({ patients: 3, studies: 7, series: 14, instances: 81 })
    expect(done.problems.some((p: { file: string }) => p.file.includes('TINY_ALPHA'))).toBe(true)
  })

  test('a wrong token gets 401 JSON and nothing is stored', async () => {
    const before = (await runNora(['--sql', 'SELECT COUNT(*) AS n FROM imports'], { home: home.home })).stdout
    const r = await fetch(`${home.url}index.php?project=WHATEVER`, { method: 'POST', body: form({ cmd: 'import', user: 'donaldduck', token: 'nora_wrong' }) })
    expect(r.status).toBe(401)
    expect(((await r.json()) as { error: string }).error).toContain('wrong user name or token')
    expect((await runNora(['--sql', 'SELECT COUNT(*) AS n FROM imports'], { home: home.home })).stdout).toBe(before)
    expect(readdirSync(join(home.home, 'data/uploads'))).toEqual([])
  }, 60_000)

  test('a token of a user with only read rights gets 403 JSON and nothing is stored', async () => {
    const readerToken = (await runNora(['--admin', 'token', 'reader'], { home: home.home })).stdout.trim()
    const r = await fetch(`${home.url}index.php?project=WHATEVER`, { method: 'POST', body: form({ cmd: 'import', user: 'reader', token: readerToken }) })
    expect(r.status).toBe(403)
    expect(readdirSync(join(home.home, 'data/uploads'))).toEqual([])
    const api = await fetch(`${home.url}api/projects/WHATEVER/imports`, { method: 'POST', headers: { authorization: `Bearer ${readerToken}` }, body: Bun.file(zip) })
    expect(api.status).toBe(403)
  }, 60_000)

  test('POST /api/projects/:p/imports takes the raw zip body', async () => {
    const r = await fetch(`${home.url}api/projects/WHATEVER/imports`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/zip' },
      body: Bun.file(zip),
    })
    expect(r.status).toBe(202)
    const done = await waitForImport(home.url, token, ((await r.json()) as { id: number }).id)
    expect(done.counts).toMatchObject({ series: 0, unchanged: 14 }) // same instances again: nothing changes
  })

  test('an unknown project is 404 with the hint', async () => {
    const r = await fetch(`${home.url}index.php?project=nope`, { method: 'POST', body: form({ cmd: 'import', user: 'donaldduck', token }) })
    expect(r.status).toBe(404)
    expect(((await r.json()) as { error: string }).error).toBe('no project "nope"; nora --admin projects lists them')
  })
})
