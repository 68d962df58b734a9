// The segment filter as the desk edits it, and the API's SegmentFilter it stands for:
// only the parts given are sent (every part must match; a list matches any of its values).
// Customers who opted out of marketing are always left out, so the count the desk shows
// is the number a campaign would reach, and a saved segment counts the same.
import type { SegmentFilter } from '@/api/segments'

export interface FilterForm {
  stages: string[]
  tags: string[]            // "dimension:value"
  tagsMatch: 'any' | 'all'
  projectIds: string[]
  ownerIds: string[]
  purposes: string[]
  silentDays: string        // no follow-up for at least N days (or never)
  createdWithinDays: string // entered within the last N days
}

export const emptyForm = (): FilterForm => ({
  stages: [], tags: [], tagsMatch: 'any', projectIds: [], ownerIds: [], purposes: [],
  silentDays: '', createdWithinDays: '',
})

export const PURPOSE_LABELS: Record<string, string> = {
  self_use: '自住', investment: '投资', school_district: '学区', upgrade: '改善',
}

// A whole number of days from the text typed, or null (blank); NaN when it is not one.
export function daysOf(text: string): number | null {
  const t = text.trim()
  if (!t) return null
  return /^\d+$/.test(t) ? Number(t) : NaN
}

export function filterOf(form: FilterForm): SegmentFilter {
  const filter: SegmentFilter = { opted_out: false }
  if (form.stages.length) filter.stages = [...form.stages]
  if (form.tags.length) {
    filter.tags = [...form.tags]
    if (form.tagsMatch === 'all' && form.tags.length > 1) filter.tags_match = 'all'
  }
  if (form.projectIds.length) filter.project_ids = [...form.projectIds]
  if (form.ownerIds.length) filter.owner_ids = [...form.ownerIds]
  if (form.purposes.length) filter.purposes = [...form.purposes]
  const silent = daysOf(form.silentDays)
  if (silent !== null && !Number.isNaN(silent)) filter.last_followup = { more_than_days_ago: silent, or_never: true }
  const created = daysOf(form.createdWithinDays)
  if (created !== null && !Number.isNaN(created)) filter.created = { within_days: created }
  return filter
}

// The form's own complaints, by the API's field names, before anything is asked.
export function formErrors(form: FilterForm): Record<string, string> {
  const errors: Record<string, string> = {}
  if (Number.isNaN(daysOf(form.silentDays))) errors.last_followup = '请输入整数天数'
  const created = daysOf(form.createdWithinDays)
  if (Number.isNaN(created) || created === 0) errors.created = '请输入大于 0 的整数天数'
  return errors
}
