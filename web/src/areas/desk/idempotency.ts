// Idempotency-Key for a create form: the same key while the form sends the same thing (a
// retry after a lost answer gets the record made the first time), a new one once the form
// changed (the API refuses a key reused for another body, 409).

export function idempotencyKeys(): (body: unknown) => string {
  let last = ''
  let key = ''
  return (body) => {
    const text = JSON.stringify(body)
    if (text !== last) {
      last = text
      key = crypto.randomUUID()
    }
    return key
  }
}
