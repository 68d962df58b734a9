// The API's refusals beside the field they name (`error.field`); anything else is for a
// message above the form.
import { ApiError, describe } from '@/api/http'

export type Errors = Record<string, string>

// The field of `known` the error names (exactly, or the first part of a dotted field such
// as "filter.owner_id"), with its text; null when it names none of them.
export function fieldError(error: unknown, known: string[]): { field: string; text: string } | null {
  if (!(error instanceof ApiError) || !error.field) return null
  const field = known.includes(error.field) ? error.field : known.find((k) => error.field!.startsWith(`${k}.`))
  return field ? { field, text: describe(error) } : null
}

export function clear(errors: Errors): void {
  for (const key of Object.keys(errors)) delete errors[key]
}

// Puts the API's refusal beside its field; true when it did (else the caller shows it).
export function placeError(errors: Errors, error: unknown, known: string[]): boolean {
  const found = fieldError(error, known)
  if (found) errors[found.field] = found.text
  return Boolean(found)
}
