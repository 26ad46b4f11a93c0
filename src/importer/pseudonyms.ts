import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { safeSegment } from '../core/safe-path'
import type { Project } from '../core/types'
import type { PseudonymsRepo } from '../store/repos/pseudonyms-repo'

export type PseudonymMode = 'hash' | 'sequential'

export interface Identity {
  patientId: string
  patientName: string
  birthDate: string
}

const BASE32 = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'

/**
 * Pseudonyms for a project's patients: derived from the PatientID under a per-project key (stable across imports)
 * or numbered in order of arrival. The key derives from a site key in the data root (mode 0600), never from
 * the database, so the database holds only HMACs and the identity sealed with AES-GCM: a copy of the database
 * alone reveals no patient. Project admins can unseal the mapping with nora.
 */
export class Pseudonyms {
  private key: Buffer | undefined

  constructor(
    private readonly keyFile: string,
    private readonly repo: PseudonymsRepo,
  ) {}

  private siteKey(): Buffer {
    if (this.key) return this.key
    if (!existsSync(this.keyFile)) {
      mkdirSync(dirname(this.keyFile), { recursive: true, mode: 0o700 })
      writeFileSync(this.keyFile, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' })
    }
    chmodSync(this.keyFile, 0o600)
    this.key = Buffer.from(readFileSync(this.keyFile, 'utf8').trim(), 'hex')
    return this.key
  }

  private projectKey(project: Project): Buffer {
    return createHmac('sha256', this.siteKey()).update(`nora-project:${project.id}:${project.name}`).digest()
  }

  private mac(project: Project, purpose: string, text: string): Buffer {
    return createHmac('sha256', this.projectKey(project)).update(`${purpose}:${text}`).digest()
  }

  private seal(project: Project, identity: Identity): string {
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.projectKey(project), iv)
    const body = Buffer.concat([cipher.update(JSON.stringify(identity), 'utf8'), cipher.final()])
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')
  }

  private unseal(project: Project, sealed: string): Identity {
    const raw = Buffer.from(sealed, 'base64')
    const decipher = createDecipheriv('aes-256-gcm', this.projectKey(project), raw.subarray(0, 12))
    decipher.setAuthTag(raw.subarray(12, 28))
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8'))
  }

  /**
   * The pseudonym of a patient, created on first sight. It becomes the subject's folder name, so what comes back
   * (made here, or read from the database) is checked as one path segment.
   */
  async pseudonymFor(project: Project, mode: PseudonymMode, who: Identity): Promise<string> {
    const lookup = this.mac(project, 'lookup', who.patientId).toString('hex')
    const known = await this.repo.byLookup(project.id, lookup)
    if (known) return safeSegment(known, 'pseudonym')
    for (let attempt = 0; attempt < 20; attempt++) {
      const candidate =
        mode === 'hash'
          ? `P${[...this.mac(project, 'pseudonym', `${who.patientId}:${attempt}`).subarray(0, 10)].map((b) => BASE32[b & 31]).join('')}`
          : `SUBJ${String((await this.repo.count(project.id)) + 1 + attempt).padStart(4, '0')}`
      try {
        return safeSegment(await this.repo.add(project.id, lookup, candidate, this.seal(project, who)), 'pseudonym')
      } catch (e) {
        if (!/unique|duplicate/i.test((e as Error).message)) throw e // taken by another patient: next candidate
      }
    }
    throw new Error('could not find a free pseudonym')
  }

  /**
   * The project's replacement of DICOM UIDs: "2.25." and an HMAC of the original under the project's key, so
   * the same original gives the same UID in every import into the project (series and studies still group, a
   * re-import is recognised) and no one without the site key can go back or link two projects' copies.
   */
  uidMapper(project: Project): (uid: string) => string {
    const key = createHmac('sha256', this.projectKey(project)).update('uid').digest()
    // The profile's tables come with it: loaded by pseudonymising imports only, not by every import's start.
    const { derivedUid } = require('../dicom/deidentify') as typeof import('../dicom/deidentify')
    return (uid) => derivedUid(key, uid)
  }

  /** The whole mapping, unsealed: for project admins only (the caller checks). */
  async reveal(project: Project): Promise<(Identity & { pseudonym: string })[]> {
    return (await this.repo.all(project.id)).map((r) => ({ pseudonym: r.pseudonym, ...this.unseal(project, r.sealed) }))
  }
}
