// A temporary password for a new user or a reset: shown once to the admin, who hands it
// over; the user must change it at first sign-in. It follows the directory's policy
// (services/directory/password_policy.py: ≥10 characters, letters and digits, not the
// username), from the browser's cryptographic random source.

const LETTERS = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ'   // no l/I/O: read aloud
const DIGITS = '23456789'
const LENGTH = 12

export type RandomSource = (count: number) => number[]

const cryptoSource: RandomSource = (count) => Array.from(crypto.getRandomValues(new Uint32Array(count)))

export function temporaryPassword(username: string, random: RandomSource = cryptoSource): string {
  for (;;) {
    const draws = random(LENGTH)
    // Letters, with digits at positions 4, 8 and the end: always both kinds, easy to read out.
    const text = draws.map((n, i) => (i % 4 === 3 ? DIGITS[n % DIGITS.length] : LETTERS[n % LETTERS.length])).join('')
    if (!passwordProblem(text, username)) return text
  }
}

// The policy's checks the browser can make (the common-password list is the server's).
export function passwordProblem(password: string, username: string): string | null {
  if (password.length < 10) return '至少10位'
  if (!/[A-Za-z]/.test(password) || !/\d/.test(password)) return '须同时包含字母和数字'
  if (username && password.toLowerCase().includes(username.toLowerCase())) return '不能包含用户名'
  return null
}
