import { createReadStream, createWriteStream, mkdirSync, renameSync, statSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { createGunzip, createGzip } from 'node:zlib'
import tar from 'tar-stream'

/**
 * A series' original DICOM instances kept beside the study as one tar.gz (`<SOPInstanceUID>.dcm` members),
 * written to a temp name and renamed: a reader never sees half a bundle.
 */
export async function writeBundle(target: string, files: { path: string; name: string }[]): Promise<number> {
  mkdirSync(dirname(target), { recursive: true })
  const tmp = `${target}.tmp-${process.pid}`
  const pack = tar.pack()
  const done = pipeline(pack, createGzip({ level: 1 }) /* DICOM pixels barely gain from more; level 6 was the import's bottleneck */, createWriteStream(tmp))
  for (const f of files) {
    const size = statSync(f.path).size
    await new Promise<void>((resolve, reject) => {
      const entry = pack.entry({ name: f.name, size }, (err) => (err ? reject(err) : resolve()))
      createReadStream(f.path).pipe(entry)
    })
  }
  pack.finalize()
  await done
  renameSync(tmp, target)
  return statSync(target).size
}

/** Unpacks a bundle into `dir`; returns the paths written (member names are reduced to their base name). */
export async function readBundle(bundle: string, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const extract = tar.extract()
  const written: string[] = []
  const reading = pipeline(createReadStream(bundle), createGunzip(), extract)
  let n = 0
  for await (const entry of extract) {
    const path = join(dir, `old-${n++}-${(entry.header.name.split('/').pop() ?? 'x').replace(/[^\w.-]/g, '_')}`)
    await pipeline(entry, createWriteStream(path))
    written.push(path)
  }
  await reading
  return written
}
