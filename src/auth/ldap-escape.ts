/**
 * Escaping of user input for LDAP: a user name goes into a DN (bind template) or a search filter, and must stay a
 * value there, never become syntax ("*)(uid=*" matching everyone, "admin,ou=x" naming another entry).
 */

/** RFC 4514 §2.4: an attribute value inside a DN. */
export function escapeDnValue(value: string): string {
  let out = ''
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!
    const code = c.charCodeAt(0)
    if (code === 0) out += '\\00'
    else if ('"+,;<>\\='.includes(c)) out += `\\${c}`
    else if ((i === 0 && (c === ' ' || c === '#')) || (i === value.length - 1 && c === ' ')) out += `\\${c}`
    else if (code < 0x20 || code === 0x7f) out += `\\${code.toString(16).padStart(2, '0')}`
    else out += c
  }
  return out
}

/** RFC 4515 §3: an assertion value inside a search filter (every byte of "*()\\" and NUL as \XX, in UTF-8). */
export function escapeFilterValue(value: string): string {
  let out = ''
  for (const c of value) {
    if ('*()\\\0'.includes(c)) out += `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`
    else out += c
  }
  return out
}

/** Fills {name} placeholders of a template, each value escaped by `escape`; an unknown placeholder stays as it is. */
export function fillTemplate(template: string, values: Record<string, string>, escape: (v: string) => string): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => (k in values ? escape(values[k]!) : m))
}

/** A DN in a comparable form: lower case, no spaces around "," and "=" (group DNs from memberOf vs. conf keys). */
export function normalizeDn(dn: string): string {
  return dn.trim().replace(/\s*([,=])\s*/g, '$1').toLowerCase()
}
