// What a reading session shows (blind mode hides names, the patient table and file names; a controlled session hides
// or detaches the table; the reading's layout), which restarts a reader is offered, how results are laid out in the
// List dialog (marker points as text, columns in order), and the "label | url" links of the general tab.
import { describe, expect, test } from 'bun:test'
import { parseLinks } from '../../../src/web/viewer/reading/config-dialog'
import { cellText, resultColumns, resultRows } from '../../../src/web/viewer/reading/results-dialog'
import { caseLabel, fileName, restartRules, sessionRules, stageLabel } from '../../../src/web/viewer/reading/session-rules'
import { safeUrl } from '../../../src/web/viewer/reading/panel'

const aCase = { index: 0, caseKey: 'P1#S1', repetition: 1, stage: 1, pid: 'P1', sid: 'S1', studyPath: 'P1/S1', label: 'Doe^John / S1 / 20200101', done: false }

describe('session rules', () => {
  test('blind: no label, no file names, the table hidden even when asked to show or detach it', () => {
    const rules = sessionRules({ mode: 'blind', reading: { reading: { patientTable: 'visible' } } })
    expect(rules).toEqual({ blind: true, table: 'hidden', layout: undefined })
    // a detached table is greyed out but still shows names and IDs: not in a blind reading
    expect(sessionRules({ mode: 'blind', reading: { reading: { patientTable: 'detached' } } }).table).toBe('hidden')
    expect(sessionRules({ reading: { reading: { blind: 1, patientTable: 'detached' } } }).table).toBe('hidden')
    expect(caseLabel(aCase, rules)).toBe('')
    expect(fileName('P1/S1/anat/Doe_John_t1.nii.gz', 2, rules)).toBe('image2.nii.gz')
    expect(fileName('P1/S1/dicom/series.tar.gz', 1, rules)).toBe('image1.tar.gz')
    expect(fileName('P1/S1/x/mesh.stl', 3, rules)).toBe('image3.stl')
  })

  test('individual: the case label and file names are shown; hidePatientTable / patientTable decide the table', () => {
    const plain = sessionRules({ mode: 'individual', reading: { reading: {}, viewer: { layout: '1' } } })
    expect(plain).toEqual({ blind: false, table: 'visible', layout: '1' })
    expect(caseLabel(aCase, plain)).toBe('Doe^John / S1 / 20200101')
    expect(caseLabel({ ...aCase, label: '' }, plain)).toBe('P1 / S1')
    expect(fileName('P1/S1/anat/t1.nii.gz', 1, plain)).toBe('t1.nii.gz')
    expect(sessionRules({ reading: { reading: { hidePatientTable: 1 } } }).table).toBe('hidden')
    expect(sessionRules({ reading: { reading: { patientTable: 'detached' } } }).table).toBe('detached')
    expect(sessionRules({ reading: { viewer: { layout: 'nine' } } }).layout).toBeUndefined()
    expect(sessionRules({ reading: { reading: {}, tools: { markers: 1, roi: 0, navigation: false } } }).toolsOff).toEqual(['roi', 'navigation'])
  })

  test('staged readings name the stage; one stage says nothing', () => {
    const named = sessionRules({ reading: { reading: { stages: [{ name: 'raw' }, { name: 'AI overlay' }] } } })
    expect(stageLabel(2, named)).toBe('stage 2 of 2: AI overlay')
    expect(stageLabel(1, sessionRules({ reading: { reading: { stages: 3 } } }))).toBe('stage 1 of 3')
    expect(stageLabel(1, sessionRules({ reading: { reading: { stages: 1 } } }))).toBe('')
    expect(stageLabel(1, sessionRules({}))).toBe('')
  })

  test('restart offered only where the reading allows it (nested or flat reading JSON)', () => {
    expect(restartRules({ reading: { reading: { allowRestartOfTraining: 1, allowRestartOfSerious: 0 } } })).toEqual({ training: true, serious: false })
    expect(restartRules({ reading: { allowRestartOfSerious: true } })).toEqual({ training: false, serious: true })
    expect(restartRules({})).toEqual({ training: false, serious: false })
  })
})

describe('results and links', () => {
  test('rows flatten values; marker points read as text; columns: who/what/when, values, rest', () => {
    const rows = resultRows([{ id: 1, user: 'bob', mode: 'serious', caseKey: 'P1#S1', pid: 'P1', repetition: 1, stage: 1, seconds: 3.2, submittedAt: 'x', startedAt: 'y', annotations: [], values: { side: 'left', where: [{ label: 'p1', position: [1, -2.25, 3] }] } }])
    expect(rows[0]).toMatchObject({ side: 'left', user: 'bob' })
    expect(cellText(rows[0]!.where)).toBe('p1 (1.0, -2.3, 3.0)')
    expect(cellText({ a: 1 })).toBe('{"a":1}')
    expect(cellText(null)).toBe('')
    expect(resultColumns(rows, ['side', 'where'])).toEqual(['user', 'mode', 'caseKey', 'repetition', 'stage', 'seconds', 'submittedAt', 'side', 'where', 'startedAt'])
    expect(resultRows({ error: 'x' })).toEqual([])
  })

  test('links: "label | url" lines; only http(s) is shown as a link', () => {
    expect(parseLinks('Slides | https://a.org/s\nhttps://b.org\n\n')).toEqual([
      { label: 'Slides', url: 'https://a.org/s' },
      { label: 'https://b.org', url: 'https://b.org' },
    ])
    expect(safeUrl('https://a.org')).toBe(true)
    expect(safeUrl('javascript:alert(1)')).toBe(false)
    expect(safeUrl(' data:text/html,x')).toBe(false)
  })
})
