import { SESSION_COOKIE } from './request-auth'

/** The Set-Cookie value of one of nora's cookies (HttpOnly, SameSite=Lax, Path=/; Secure behind TLS); Max-Age 0 clears it. */
export function httpOnlyCookie(name: string, value: string, maxAgeSeconds: number, secure: boolean): string {
  return `${name}=${value}; Path=/; HttpOnly; SameSite=Lax; Max-Age=${maxAgeSeconds}${secure ? '; Secure' : ''}`
}

/** The Set-Cookie value of a session cookie. */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  return httpOnlyCookie(SESSION_COOKIE, value, maxAgeSeconds, secure)
}
