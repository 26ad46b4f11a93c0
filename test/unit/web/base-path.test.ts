import { describe, expect, test } from 'bun:test'
import { basePath, withBase } from '../../../src/web/shared/base-path'

describe('browser base path (withBase)', () => {
  test('app paths go under the base once; other URLs stay', () => {
    const B = '/godzilla/'
    expect(withBase('/api/projects/P/files/a.nii', B)).toBe('/godzilla/api/projects/P/files/a.nii')
    expect(withBase('/godzilla/api/x', B)).toBe('/godzilla/api/x')
    expect(withBase('blob:http://h/1', B)).toBe('blob:http://h/1')
    expect(withBase('//evil.example/x', B)).toBe('//evil.example/x')
    expect(withBase('relative/x', B)).toBe('relative/x')
    expect(withBase('/api/x', '/')).toBe('/api/x')
  })

  test('without a page (a worker, the server) the base is "/"', () => {
    expect(basePath()).toBe('/')
  })
})
