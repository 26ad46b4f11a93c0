import { writeFileSync } from 'node:fs'
import { UsageError } from '../../core/errors'
import type { ArchiveService } from '../../archive/archive-service'
import type { PacsService } from '../../pacs/pacs-service'
import { SegExportService } from '../../pacs/seg-export'
import { one, type ParsedArgs } from '../args'
import { actorOf, type Out } from '../context'

/**
 * `nora roi seg ROI -p P (--out FILE.dcm | --push NODE) [--reference IMG] [--label TEXT]`: a saved ROI of a study
 * imported from DICOM as a DICOM Segmentation referencing its original series, written to a file or sent to a node.
 */
export async function roiSegCommand(s: { archive: ArchiveService; pacs: PacsService } & Parameters<typeof actorOf>[0], args: ParsedArgs, io: Out): Promise<number> {
  const roi = args.positional[2]
  const project = one(args, 'project')
  const out = one(args, 'out')
  const node = one(args, 'push')
  if (!roi || !project || (!out && !node)) throw new UsageError('nora roi seg PID/SID/rois/NAME.nii.gz -p PROJECT (--out FILE.dcm | --push NODE) [--reference IMAGE] [--label TEXT]')
  const opts = { reference: one(args, 'reference'), label: one(args, 'label') }
  const actor = await actorOf(s, args)
  const seg = new SegExportService({ archive: s.archive, pacs: s.pacs })
  if (node) {
    const r = await seg.push(actor, node, project, roi, opts)
    await io.out(`${roi} -> ${node}: SEG ${r.sopInstanceUid} (${r.frames} frames over ${r.sourceBundle}) ${r.completed ? 'stored' : `failed: ${r.failures[0]?.reason ?? 'refused'}`}`)
    return r.completed ? 0 : 1
  }
  const r = await seg.export(actor, project, roi, opts)
  writeFileSync(out!, r.bytes)
  await io.out(`${out}: SEG ${r.sopInstanceUid}, ${r.frames} frames over ${r.sourceBundle}`)
  return 0
}
