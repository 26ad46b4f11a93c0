import { createReadStream, createWriteStream, mkdirSync, renameSync, rmSync, statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { pipeline } from 'node:stream/promises'

/**
 * gzip level of the bundles: 1. A 300-slice CT with scanner-like noise (bench import --ct) packs 2.7x smaller at 1
 * and 3.7x at 6, for twice the CPU (~1.3 s a 150 MB series at 6, ~0.6 s at 1); level 0 would save nothing. At 1
 * the bundle keeps pace with dcm2niix, which it runs beside, on the other core.
 */
const BUNDLE_GZIP_LEVEL = 1

/** tar-stream and zlib, loaded by the imports that keep or read bundles (not by one with --keepdicom no). */
async function packers() {
  const [{ default: tar }, { createGzip, createGunzip }] = await Promise.all([import('tar-stream'), import('node:zlib')])
  return { tar, createGzip, createGunzip }
}

/**
 * A series' original DICOM instances kept beside the study as one tar.gz (`<SOPInstanceUID>.dcm` members),
 * written to a temp name and renamed: a reader never sees half a bundle. Each file is read whole (an instance is
 * small) and handed to the packer when it has taken the previous one, so memory stays at a few instances.
 */
export async function writeBundle(target: string, files: { path: string; name: string }[]): Promise<number> {
  mkdirSync(dirname(target), { recursive: true })
  const tmp = `${target}.tmp-${process.pid}`
  const { tar, createGzip } = await packers()
  const pack = tar.pack()
  const done = pipeline(pack, createGzip({ level: BUNDLE_GZIP_LEVEL }), createWriteStream(tmp))
  done.catch(() => undefined) // awaited below, after the members (a write error also fails the entry in flight)
  try {
    for (const f of files) {
      const data = await readFile(f.path)
      await new Promise<void>((resolve, reject) => pack.entry({ name: f.name, size: data.length }, data, (err) => (err ? reject(err) : resolve())))
    }
    pack.finalize()
    await done
  } catch (e) {
    pack.destroy()
    rmSync(tmp, { force: true })
    throw e
  }
  renameSync(tmp, target)
  return statSync(target).size
}

/** Unpacks a bundle into `dir`; returns the paths written (member names are reduced to their base name). */
export async function readBundle(bundle: string, dir: string): Promise<string[]> {
  mkdirSync(dir, { recursive: true })
  const { tar, createGunzip } = await packers()
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
