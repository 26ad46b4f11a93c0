import { describe, expect, test } from 'bun:test'
import { projectGroupName } from '../../../src/archive/project-group'
import { ServiceError } from '../../../src/core/errors'
import { dropArgv, resolveJobAccount } from '../../../src/jobs/job-account'

/** An account by getent, the system's own answer (undefined when there is none). */
const getent = (name: string) => {
  const r = Bun.spawnSync(['getent', 'passwd', name], { stdout: 'pipe' })
  if (r.exitCode !== 0) return undefined
  const f = r.stdout.toString().split(':')
  return { uid: Number(f[2]), gid: Number(f[3]) }
}

const thrown = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return e as Error
  }
  throw new Error('did not throw')
}

describe('whom jobs run as (jobs.runAs)', () => {
  test('as root: an account that does not exist, or root itself, is refused with what to do', () => {
    const missing = thrown(() => resolveJobAccount('no-such-account-x', 0))
    expect(missing).toBeInstanceOf(ServiceError)
    expect(missing.message).toContain('jobs.runAs names the account "no-such-account-x", which does not exist')
    expect(missing.message).toContain('useradd --system')
    expect(thrown(() => resolveJobAccount('root', 0)).message).toContain('is root (uid 0)')
  })

  test.skipIf(!getent('nora-jobs'))('as root with runAs unset: nora-jobs, dropped to through setpriv with one group', () => {
    const a = resolveJobAccount('', 0)
    expect(a).toEqual({ name: 'nora-jobs', ...getent('nora-jobs')!, drop: true })
    expect(dropArgv(a, 4242).slice(0, 6)).toEqual(['/usr/bin/setpriv', `--reuid=${a.uid}`, '--regid=4242', '--groups=4242', '--no-new-privs', '--'])
  })

  test('not root: jobs run as nora\'s own account; naming another account is refused', () => {
    const a = resolveJobAccount('', 4321)
    expect(a.drop).toBe(false)
    expect(a.uid).toBe(4321)
    expect(dropArgv(a, 1)).toEqual([])
    expect(thrown(() => resolveJobAccount('daemon', 4321)).message).toContain('not root, and cannot start processes as another account')
  })
})

describe('project group names', () => {
  test('plain lower-case names keep their name; others get a hash, so names differing in case get different groups', () => {
    expect(projectGroupName('proja')).toBe('nora-p-proja')
    expect(projectGroupName('projA')).toMatch(/^nora-p-proja-[0-9a-f]{8}$/)
    expect(projectGroupName('projA')).not.toBe(projectGroupName('proja'))
    expect(projectGroupName('PROJA')).not.toBe(projectGroupName('projA'))
    const long = projectGroupName('a-very-long-project-name-of-sixty-characters-or-so.v2')
    expect(long.length).toBeLessThanOrEqual(32)
  })
})
