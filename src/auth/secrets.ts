/** Random secrets and their one-way digests. */
export function randomToken(bytes = 32): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString('base64url')
}

export function sha256Hex(text: string): string {
  return new Bun.CryptoHasher('sha256').update(text).digest('hex')
}

/** A password for people to type: 20 characters from an alphabet without look-alikes (about 110 bits). */
export function randomPassword(length = 20): string {
  const alphabet = 'abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789'
  const out: string[] = []
  while (out.length < length) {
    for (const b of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (b < 224 && out.length < length) out.push(alphabet[b % 56]!) // 224 = 4*56: no modulo bias
    }
  }
  return out.join('')
}

export function hashPassword(password: string): Promise<string> {
  return Bun.password.hash(password, { algorithm: 'argon2id' })
}

/** A hash of a password nobody knows: verifying against it costs what a real check costs. */
let decoy: Promise<string> | undefined
export function decoyHash(): Promise<string> {
  decoy ??= hashPassword(randomToken())
  return decoy
}

export async function verifyPassword(password: string, hash: string | null): Promise<boolean> {
  if (!hash) {
    await Bun.password.verify(password, await decoyHash())
    return false
  }
  return Bun.password.verify(password, hash)
}
