// A project's lead rules (leads service, contracts/leads.py ProjectLeadSettings) as a flat form
// of strings and back. Grading rules and region maps are kept as they are (shown, not edited
// here); numbers typed as text are sent as numbers, a blank optional one as null.

export interface LeadSettings {
  required_fields: string[]
  grading: { grade: string; label?: string | null; when: { field: string; op: string; value?: unknown }[] }[]
  default_grade: string
  assignment: { strategy: string; regions: Record<string, string[]>; load_cap: number | null; grab_window_minutes: number }
  protection: { visit_days: number; deal_days: number }
  pool: { daily_claim_cap: number; cooling_days: number }
}

export const STRATEGIES: Record<string, string> = {
  round_robin: '轮流分配', region: '按区域分配', load: '按负载分配（有上限）', grab: '抢单（超时轮流分配）',
}
export const REQUIRABLE: Record<string, string> = {
  city: '城市', district: '区域', budget_min: '最低预算', budget_max: '最高预算', layout: '户型',
  area_min: '最小面积', area_max: '最大面积', purpose: '置业目的', note: '备注', sub_source: '子来源',
}

// The form's fields, each under the API's own dotted name (so a refusal finds its field).
export const NUMBER_FIELDS = ['assignment.load_cap', 'assignment.grab_window_minutes', 'protection.visit_days',
  'protection.deal_days', 'pool.daily_claim_cap', 'pool.cooling_days'] as const

export interface LeadForm {
  strategy: string
  default_grade: string
  required_fields: string[]
  numbers: Record<string, string>
}

const at = (s: LeadSettings, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k], s)

export function toForm(s: LeadSettings): LeadForm {
  const numbers: Record<string, string> = {}
  for (const path of NUMBER_FIELDS) {
    const v = at(s, path)
    numbers[path] = v === null || v === undefined ? '' : String(v)
  }
  return { strategy: s.assignment.strategy, default_grade: s.default_grade, required_fields: [...s.required_fields], numbers }
}

// A number as typed: digits become a number; anything else is sent as typed, for the API to
// refuse at its field; blank is null (only load_cap may be blank).
function typed(text: string): number | string | null {
  const t = text.trim()
  if (!t) return null
  return /^\d+$/.test(t) ? Number(t) : t
}

export function fromForm(s: LeadSettings, f: LeadForm): LeadSettings {
  const n = (path: string) => typed(f.numbers[path] ?? '') as number
  return {
    ...s,
    required_fields: [...f.required_fields],
    default_grade: f.default_grade,
    assignment: { ...s.assignment, strategy: f.strategy, load_cap: n('assignment.load_cap'), grab_window_minutes: n('assignment.grab_window_minutes') },
    protection: { ...s.protection, visit_days: n('protection.visit_days'), deal_days: n('protection.deal_days') },
    pool: { ...s.pool, daily_claim_cap: n('pool.daily_claim_cap'), cooling_days: n('pool.cooling_days') },
  }
}

// The form field an API error path names ("protection.visit_days"), else null.
export function formFieldOf(path: string | null | undefined): string | null {
  if (!path) return null
  if (path === 'assignment.strategy') return 'strategy'
  if (path === 'default_grade' || path.startsWith('required_fields')) return path.split('.')[0]
  return (NUMBER_FIELDS as readonly string[]).includes(path) ? path : null
}

const OPS: Record<string, string> = { gte: '≥', lte: '≤', eq: '为', in: '属于', present: '已填写' }

// A grading rule in words: "A 级：budget_min ≥ 3000000 且 purpose 属于 self_use、upgrade".
export function ruleWords(rule: LeadSettings['grading'][number]): string {
  const parts = rule.when.map((c) => {
    const value = Array.isArray(c.value) ? c.value.join('、') : c.value ?? ''
    return `${REQUIRABLE[c.field] ?? c.field} ${OPS[c.op] ?? c.op}${c.op === 'present' ? '' : ` ${value}`}`
  })
  return `${rule.grade} 级${rule.label ? `（${rule.label}）` : ''}：${parts.join(' 且 ')}`
}
