import type { SmailConf } from '../config/smail-conf'
import { NotFoundError, UsageError } from '../core/errors'
import type { Project, User } from '../core/types'
import type { ImportRecord } from '../store/repos/imports-repo'
import type { NotificationRecord, NotificationsRepo } from '../store/repos/notifications-repo'
import type { PullRow } from '../store/repos/pulls-repo'
import type { UserSettingsRepo } from '../store/repos/user-settings-repo'
import type { UsersRepo } from '../store/repos/users-repo'
import type { Mail } from './mailer'

/** The user setting that asks for mail ('on'); anything else: in the page only. */
export const MAIL_SETTING = 'notify_mail'

const ADDRESS = /^[^\s@<>"',;]{1,64}@[A-Za-z0-9.-]{1,253}$/

export interface NotificationDeps {
  repo: Pick<NotificationsRepo, 'add' | 'forUser' | 'unreadCount' | 'markRead' | 'markAllRead' | 'batchOwner' | 'adminsOf'>
  users: Pick<UsersRepo, 'byId' | 'byUsername' | 'setEmail'>
  settings: Pick<UserSettingsRepo, 'get' | 'set'>
  /** The mail server as it is now (conf/smail.conf with the admin page's changes); host '': no mail. */
  mailConf: () => SmailConf
  /** Sends one mail through that server (src/notify/mailer.ts). */
  send: (conf: SmailConf, mail: Mail) => Promise<string>
  log: (line: string) => void
  /** The site's name (mail subjects) and its public URL (links in mails; '' : none). */
  siteName: string
  publicUrl: string
}

export interface BatchEnded {
  batchId: number
  state: 'done' | 'error'
  done: number
  errors: number
}

export interface Quarantined {
  project: Project | undefined
  projectName: string
  studyUid: string
  sender: string
  reason: string
  importId: number
  state: string
  series: number
}

/**
 * Notifications: a row per user and event (their batch ended, their import or PACS pull ended, a study routed to
 * quarantine for the admins), shown by the header's bell; and, for users who asked for it (user setting notify_mail
 * and a mail address), a mail through conf/smail.conf. A mail that fails is logged, never thrown: the job, import or
 * pull that caused it goes on.
 */
export class NotificationService {
  private readonly pending = new Set<Promise<void>>()

  constructor(private readonly d: NotificationDeps) {}

  /** Records one notification for each user (and mails those who asked). Never throws. */
  async notify(userIds: number[], n: { kind: string; projectId: number | null; message: string; link?: string }): Promise<void> {
    for (const userId of new Set(userIds)) {
      if (!(userId > 0)) continue // nora itself (the console, the receiver): nobody to tell
      try {
        await this.d.repo.add({ userId, projectId: n.projectId, kind: n.kind, message: n.message, link: n.link ?? '' })
        this.track(this.mail(userId, n.message, n.link ?? ''))
      } catch (e) {
        this.d.log(`notification for user ${userId} not recorded: ${(e as Error).message}`)
      }
    }
  }

  /** A batch's runs all ended: its launcher is told. */
  async batchEnded(e: BatchEnded): Promise<void> {
    const owner = await this.d.repo.batchOwner(e.batchId).catch(() => undefined)
    if (!owner?.userId) return
    const name = owner.name ? ` "${owner.name}"` : ''
    const message =
      e.state === 'done' ? `batch ${e.batchId}${name} in ${owner.project} finished: ${e.done} run(s) done` : `batch ${e.batchId}${name} in ${owner.project} failed: ${e.errors} run(s) with errors, ${e.done} done`
    await this.notify([owner.userId], { kind: `batch-${e.state}`, projectId: owner.projectId, message, link: `/gridstats?project=${encodeURIComponent(owner.project)}` })
  }

  /** An import ended (done or failed): whoever started it is told. */
  async importEnded(r: ImportRecord, project: Project): Promise<void> {
    if (!r.userId || (r.state !== 'done' && r.state !== 'failed')) return
    const c = r.counts
    const message =
      r.state === 'done'
        ? `import ${r.id} into ${project.name} finished: ${c.series} series in ${c.studies} stud${c.studies === 1 ? 'y' : 'ies'}${c.errors ? `, ${c.errors} error(s)` : ''}`
        : `import ${r.id} into ${project.name} failed: ${r.message}`
    await this.notify([r.userId], { kind: `import-${r.state}`, projectId: project.id, message, link: `/api/imports/${r.id}` })
  }

  /** A PACS pull ended: the user who asked for it is told. */
  async pullEnded(pull: PullRow, state: 'done' | 'failed'): Promise<void> {
    const userId = pull.user ? (await this.d.users.byUsername(pull.user).catch(() => undefined))?.id : undefined
    if (!userId) return
    const message = state === 'done' ? `PACS pull ${pull.id} from ${pull.node} into ${pull.project} finished` : `PACS pull ${pull.id} from ${pull.node} into ${pull.project} failed; the PACS page shows why`
    await this.notify([userId], { kind: `pull-${state}`, projectId: pull.projectId, message, link: '/pacs' })
  }

  /** A received study went to the quarantine project: the site admins and the quarantine project's admins are told. */
  async quarantined(q: Quarantined): Promise<void> {
    const admins = await this.d.repo.adminsOf(q.project?.id ?? null).catch(() => [] as number[])
    const message = `study ${q.studyUid} from ${q.sender || 'an unknown sender'} was routed to quarantine project ${q.projectName} (${q.reason}); import ${q.importId} ${q.state}, ${q.series} series`
    await this.notify(admins, { kind: 'quarantine', projectId: q.project?.id ?? null, message, link: `/?project=${encodeURIComponent(q.projectName)}` })
  }

  list(user: User, opts: { unreadOnly?: boolean; limit?: number } = {}): Promise<NotificationRecord[]> {
    return this.d.repo.forUser(user.id, opts)
  }

  unread(user: User): Promise<number> {
    return user.id > 0 ? this.d.repo.unreadCount(user.id) : Promise.resolve(0)
  }

  async markRead(user: User, id: number): Promise<void> {
    if (!(await this.d.repo.markRead(user.id, id))) throw new NotFoundError(`you have no notification ${id}`)
  }

  markAllRead(user: User): Promise<number> {
    return this.d.repo.markAllRead(user.id)
  }

  /** The user's mail choice: whether they asked for mail, their address, and whether this site can send any. */
  async mailChoice(user: User): Promise<{ mail: boolean; email: string; serverConfigured: boolean }> {
    const fresh = await this.d.users.byId(user.id)
    return { mail: (await this.d.settings.get(user.id, MAIL_SETTING)) === 'on', email: fresh?.email ?? '', serverConfigured: this.d.mailConf().host !== '' }
  }

  /** Saves the user's mail choice; mail needs an address. */
  async setMailChoice(user: User, choice: { mail: boolean; email: string }): Promise<void> {
    const email = choice.email.trim()
    if (email && !ADDRESS.test(email)) throw new UsageError(`"${email}" is not a mail address (name@host)`)
    if (choice.mail && !email) throw new UsageError('give a mail address to get notifications by mail')
    await this.d.users.setEmail(user.id, email)
    await this.d.settings.set(user.id, MAIL_SETTING, choice.mail ? 'on' : 'off')
  }

  /** Resolves when the mails sent so far are out (or failed): tests and shutdown. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.all([...this.pending])
  }

  private track(p: Promise<void>): void {
    this.pending.add(p)
    void p.finally(() => this.pending.delete(p))
  }

  private async mail(userId: number, message: string, link: string): Promise<void> {
    try {
      const conf = this.d.mailConf()
      if (!conf.host || (await this.d.settings.get(userId, MAIL_SETTING)) !== 'on') return
      const user = await this.d.users.byId(userId)
      if (!user?.email || user.disabled) return
      const url = link && this.d.publicUrl ? `\n\n${this.d.publicUrl.replace(/\/$/, '')}${link}` : ''
      const text = `${message}${url}\n\n-- \n${this.d.siteName}: you get this mail because you asked for notifications by mail (Notifications page).`
      await this.d.send(conf, { to: user.email, subject: `${this.d.siteName}: ${message}`.slice(0, 200), text })
    } catch (e) {
      this.d.log(`notification mail to user ${userId} not sent: ${(e as Error).message}`)
    }
  }
}
