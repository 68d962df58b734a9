// The profile form ⇄ the API's portrait: budgets typed in 万元, lists typed with commas.
import type { Customer } from '@/api/customers'

export interface ProfileForm {
  grade: string
  gender: string
  age_band: string
  wechat: string
  budget_min: string
  budget_max: string
  area_min: string
  area_max: string
  layouts: string
  districts: string
  purpose: string
  tags: Record<string, string[]>
  free_tags: string
}

const wan = (yuan: unknown) => (typeof yuan === 'number' ? String(yuan / 10_000) : '')
const list = (value: unknown) => (Array.isArray(value) ? value.join('、') : '')

export function formOf(c: Customer): ProfileForm {
  const p = c.portrait as Record<string, unknown>
  return {
    grade: c.grade ?? '',
    gender: String(p.gender ?? ''), age_band: String(p.age_band ?? ''), wechat: String(p.wechat ?? ''),
    budget_min: wan(p.budget_min), budget_max: wan(p.budget_max),
    area_min: p.area_min != null ? String(p.area_min) : '', area_max: p.area_max != null ? String(p.area_max) : '',
    layouts: list(p.layouts), districts: list(p.districts), purpose: String(p.purpose ?? ''),
    tags: JSON.parse(JSON.stringify(c.tags ?? {})), free_tags: list(c.free_tags),
  }
}

const split = (text: string) => text.split(/[,，、;；\s]+/).map((x) => x.trim()).filter(Boolean)

function number(text: string, scale: number, field: string, errors: Record<string, string>) {
  if (!text.trim()) return null
  const value = Number(text)
  if (!Number.isFinite(value) || value < 0) {
    errors[field] = '请填写数字'
    return null
  }
  return Math.round(value * scale)
}

// The PATCH body (only what the form holds) and the errors found before sending it. The
// grade goes only when the consultant changed it: a grade a person set no longer follows
// the leads' grading, so saving the profile must not pin it.
export function patchOf(form: ProfileForm, version: number, grade: string | null = null) {
  const errors: Record<string, string> = {}
  const body: Record<string, unknown> = {
    version,
    ...(form.grade && form.grade !== grade ? { grade: form.grade } : {}),
    gender: form.gender || null, age_band: form.age_band || null,
    // The WeChat id is kept encrypted and not shown back: sent only when one is typed, so a
    // save never erases it.
    ...(form.wechat.trim() ? { wechat: form.wechat.trim() } : {}),
    budget_min: number(form.budget_min, 10_000, 'budget_min', errors),
    budget_max: number(form.budget_max, 10_000, 'budget_max', errors),
    area_min: number(form.area_min, 1, 'area_min', errors), area_max: number(form.area_max, 1, 'area_max', errors),
    layouts: split(form.layouts), districts: split(form.districts), purpose: form.purpose || null,
    tags: Object.fromEntries(Object.entries(form.tags).filter(([, v]) => v.length)), free_tags: split(form.free_tags),
  }
  const bmin = body.budget_min as number | null
  const bmax = body.budget_max as number | null
  if (bmin != null && bmax != null && bmin > bmax) errors.budget_max = '最高预算不能低于最低预算'
  return { body, errors }
}

export const PURPOSES: Record<string, string> = {
  self_use: '自住', investment: '投资', school_district: '学区', upgrade: '改善',
}
export const GRADES: Record<string, string> = { A: 'A级 高意向', B: 'B级', C: 'C级', D: 'D级 低意向' }
export const GENDERS: Record<string, string> = { male: '男', female: '女', unknown: '未知' }
export const AGE_BANDS = ['<25', '25-34', '35-44', '45-54', '55+']
