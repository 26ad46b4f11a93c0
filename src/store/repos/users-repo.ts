import type { User } from '../../core/types'
import type { Db } from '../db'

type Row = {
  id: number
  username: string
  display_name: string
  email: string
  is_site_admin: number
  source: string
  disabled: number
  created_at: number
}
const COLS = 'id, username, display_name, email, is_site_admin, source, disabled, created_at'
const toUser = (r: Row): User => ({
  id: Number(r.id),
  username: r.username,
  displayName: r.display_name,
  email: r.email,
  isSiteAdmin: Number(r.is_site_admin) === 1,
  source: r.source === 'ldap' ? 'ldap' : 'local',
  disabled: Number(r.disabled) === 1,
  createdAt: Number(r.created_at),
})

export class UsersRepo {
  constructor(private readonly db: Db) {}

  async create(u: { username: string; passwordHash: string | null; isSiteAdmin?: boolean; displayName?: string; email?: string; source?: 'local' | 'ldap' }): Promise<User> {
    const now = Date.now()
    const r = await this.db.run(
      'INSERT INTO users (username, password_hash, display_name, email, is_site_admin, source, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, 0, ?)',
      [u.username, u.passwordHash, u.displayName ?? '', u.email ?? '', u.isSiteAdmin ? 1 : 0, u.source ?? 'local', now],
    )
    return (await this.byId(r.lastId))!
  }

  async byId(id: number): Promise<User | undefined> {
    const r = await this.db.get<Row>(`SELECT ${COLS} FROM users WHERE id = ?`, [id])
    return r && toUser(r)
  }

  async byUsername(username: string): Promise<User | undefined> {
    const r = await this.db.get<Row>(`SELECT ${COLS} FROM users WHERE username = ?`, [username])
    return r && toUser(r)
  }

  async passwordHash(id: number): Promise<string | null> {
    const r = await this.db.get<{ password_hash: string | null }>('SELECT password_hash FROM users WHERE id = ?', [id])
    return r?.password_hash ?? null
  }

  async setPasswordHash(id: number, hash: string): Promise<void> {
    await this.db.run('UPDATE users SET password_hash = ? WHERE id = ?', [hash, id])
  }

  async setSiteAdmin(id: number, admin: boolean): Promise<void> {
    await this.db.run('UPDATE users SET is_site_admin = ? WHERE id = ?', [admin ? 1 : 0, id])
  }

  /** The address notification mails go to ('' : none). */
  async setEmail(id: number, email: string): Promise<void> {
    await this.db.run('UPDATE users SET email = ? WHERE id = ?', [email, id])
  }

  async setDisplayName(id: number, displayName: string): Promise<void> {
    await this.db.run('UPDATE users SET display_name = ? WHERE id = ?', [displayName, id])
  }

  async setDisabled(id: number, disabled: boolean): Promise<void> {
    await this.db.run('UPDATE users SET disabled = ? WHERE id = ?', [disabled ? 1 : 0, id])
  }

  async list(): Promise<User[]> {
    return (await this.db.all<Row>(`SELECT ${COLS} FROM users ORDER BY username`)).map(toUser)
  }

  async count(): Promise<number> {
    const r = await this.db.get<{ n: number }>('SELECT COUNT(*) AS n FROM users')
    return Number(r?.n ?? 0)
  }
}
