// A project's lead rules (leads service, contracts/leads.py ProjectLeadSettings) as a form of
// strings and back: the numbers, the grading rules (each condition's value as typed, budgets
// in 万元 as the rest of the web shows them, sent in yuan exactly) and the region map
// (district → consultant ids). What is typed wrong is sent as typed, for the API to refuse at
// its field; formFieldOf turns the API's path into the form field's key.
import { PURPOSES } from '@/areas/consultant/customer/profile'
import { channelLabel } from '@/lib/timeline'

export interface GradeCondition { field: string; op: string; value?: unknown }
export interface GradeRule { grade: string; label?: string | null; when: GradeCondition[] }

export interface LeadSettings {
  required_fields: string[]
  grading: GradeRule[]
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
export const GRADES = ['A', 'B', 'C', 'D'] as const

// The fields a grading rule may test (contracts/leads.py GRADABLE_FIELDS), in Chinese.
export const GRADABLE: Record<string, string> = {
  budget_min: '最低预算', budget_max: '最高预算', area_min: '最小面积', area_max: '最大面积',
  purpose: '置业目的', layout: '户型', district: '区域', city: '城市', channel: '来源渠道',
}
// contracts/leads.py Channel, in the order a person looks for them.
const CHANNEL_CODES = ['douyin', 'beike', 'agency', 'walk_in', 'referral', 'website', 'mini_program', 'phone_call', 'manual', 'other']
export const CHANNELS: Record<string, string> = Object.fromEntries(CHANNEL_CODES.map((c) => [c, channelLabel(c)]))

// money: yuan in the API, 万元 in the form; number: square metres; choice: fixed values (a
// select for 等于, checkboxes for 属于任一); text: what a lead's channel sends (city, layout,
// district: the project's districts are offered, others may be typed).
export type FieldKind = 'money' | 'number' | 'choice' | 'text'
export function kindOf(field: string): FieldKind {
  if (field === 'budget_min' || field === 'budget_max') return 'money'
  if (field === 'area_min' || field === 'area_max') return 'number'
  return field === 'purpose' || field === 'channel' ? 'choice' : 'text'
}
export const UNITS: Partial<Record<FieldKind, string>> = { money: '万元', number: '㎡' }

export const OPERATORS: Record<string, string> = { gte: '≥ 不低于', lte: '≤ 不高于', eq: '等于', in: '属于任一', present: '已填写' }
const OP_WORDS: Record<string, string> = { gte: '≥', lte: '≤', eq: '为', in: '属于', present: '已填写' }

// The operators offered for a field: numbers compare, values match. An operator a rule
// already has (set through the API) stays offered, so opening the form loses nothing.
export function operatorsFor(field: string, current?: string): string[] {
  const ops = kindOf(field) === 'money' || kindOf(field) === 'number' ? ['gte', 'lte', 'present'] : ['eq', 'in', 'present']
  return current && !ops.includes(current) && current in OPERATORS ? [...ops, current] : ops
}

// The values a choice field offers; a value a rule already names stays offered.
export function choicesFor(field: string, cond?: ConditionForm): Record<string, string> {
  const fixed: Record<string, string> = { ...(field === 'purpose' ? PURPOSES : field === 'channel' ? CHANNELS : {}) }
  for (const v of cond ? [cond.text, ...cond.list] : []) if (v && !(v in fixed)) fixed[v] = v
  return fixed
}

// --- money: yuan ⇄ 万元, exactly (integers and decimal strings, never float arithmetic) ---

export function wanOf(yuan: number): string {
  if (!Number.isSafeInteger(yuan)) return String(yuan)
  const sign = yuan < 0 ? '-' : ''
  const abs = Math.abs(yuan)
  const fraction = String(abs % 10_000).padStart(4, '0').replace(/0+$/, '')
  return `${sign}${Math.floor(abs / 10_000)}${fraction ? `.${fraction}` : ''}`
}

// 万元 as typed → yuan; null when it is not a whole number of yuan (more than 4 decimals,
// not a number, too big to be exact).
export function yuanOf(text: string): number | null {
  const m = /^(\d+)(?:\.(\d{1,4}))?$/.exec(text.trim())
  if (!m) return null
  const yuan = Number(m[1]) * 10_000 + Number((m[2] ?? '').padEnd(4, '0'))
  return Number.isSafeInteger(yuan) ? yuan : null
}

// --- the form ---

export interface ConditionForm {
  uid: number
  field: string
  op: string
  text: string      // the value of gte/lte/eq as typed (money in 万元); 属于任一 of text, typed
  list: string[]    // 属于任一 of a choice field: the values ticked
}
export interface RuleForm { uid: number; grade: string; label: string; when: ConditionForm[] }

export interface LeadForm {
  strategy: string
  default_grade: string
  required_fields: string[]
  numbers: Record<string, string>
  grading: RuleForm[]
  regions: Record<string, string[]>
}

// The form's fields, each under the API's own dotted name (so a refusal finds its field).
export const NUMBER_FIELDS = ['assignment.load_cap', 'assignment.grab_window_minutes', 'protection.visit_days',
  'protection.deal_days', 'pool.daily_claim_cap', 'pool.cooling_days'] as const

let uids = 0
const uid = () => ++uids

export function newCondition(field = 'budget_min'): ConditionForm {
  return { uid: uid(), field, op: operatorsFor(field)[0], text: '', list: [] }
}
export function newRule(): RuleForm {
  return { uid: uid(), grade: 'A', label: '', when: [newCondition()] }
}

function conditionForm(c: GradeCondition): ConditionForm {
  const value = c.value
  const kind = kindOf(c.field)
  const values = Array.isArray(value) ? value.map(String) : []
  let text = ''
  if (typeof value === 'number') text = kind === 'money' ? wanOf(value) : String(value)
  else if (typeof value === 'string') text = value
  else if (kind !== 'choice') text = values.join('、')
  return { uid: uid(), field: c.field, op: c.op, text, list: kind === 'choice' ? values : [] }
}

// A condition's value for the API: a number for ≥/≤ (yuan for money), one value for 等于, a
// list for 属于任一, none for 已填写. Blank is null, what is not a number is sent as typed:
// the API refuses both at the condition.
export function conditionValue(c: ConditionForm): unknown {
  const kind = kindOf(c.field)
  const text = c.text.trim()
  if (c.op === 'present') return null
  if (c.op === 'in') return kind === 'choice' ? [...c.list] : splitValues(text)
  if (!text) return null
  if (kind === 'money') return yuanOf(text) ?? text
  if (kind === 'number') return /^\d+$/.test(text) ? Number(text) : text
  return text
}

const splitValues = (text: string) => text.split(/[,，、;；]+/).map((x) => x.trim()).filter(Boolean)

export function ruleOf(r: RuleForm): GradeRule {
  return {
    grade: r.grade,
    label: r.label.trim() || null,
    when: r.when.map((c) => ({ field: c.field, op: c.op, value: conditionValue(c) })),
  }
}

// A field changed: its operator stays if the new field offers it, its value is cleared
// (300 万元 means nothing as a purpose).
export function changeField(c: ConditionForm, field: string): void {
  if (field === c.field) return
  c.field = field
  if (!operatorsFor(field).includes(c.op)) c.op = operatorsFor(field)[0]
  c.text = ''
  c.list = []
}

// An operator changed: 等于 ⇄ 属于任一 carries the value over.
export function changeOp(c: ConditionForm, op: string): void {
  const choice = kindOf(c.field) === 'choice'
  if (op === 'in' && choice) {
    if (!c.list.length && c.text.trim()) c.list = [c.text.trim()]
    c.text = ''
  } else if (op === 'eq' && c.op === 'in') {
    c.text = (choice ? c.list[0] : splitValues(c.text)[0]) ?? ''
    c.list = []
  }
  c.op = op
}

// Move a rule up (-1) or down (+1); false at the ends.
export function moveRule(rules: RuleForm[], index: number, by: -1 | 1): boolean {
  const to = index + by
  if (to < 0 || to >= rules.length) return false
  const [rule] = rules.splice(index, 1)
  rules.splice(to, 0, rule)
  return true
}

const at = (s: LeadSettings, path: string): unknown =>
  path.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | null)?.[k], s)

export function toForm(s: LeadSettings): LeadForm {
  const numbers: Record<string, string> = {}
  for (const path of NUMBER_FIELDS) {
    const v = at(s, path)
    numbers[path] = v === null || v === undefined ? '' : String(v)
  }
  return {
    strategy: s.assignment.strategy, default_grade: s.default_grade, required_fields: [...s.required_fields], numbers,
    grading: s.grading.map((r) => ({ uid: uid(), grade: r.grade, label: r.label ?? '', when: r.when.map(conditionForm) })),
    regions: Object.fromEntries(Object.entries(s.assignment.regions ?? {}).map(([d, ids]) => [d, [...ids]])),
  }
}

// A number as typed: digits become a number; anything else is sent as typed, for the API to
// refuse at its field; blank is null (only load_cap may be blank).
function typed(text: string): number | string | null {
  const t = text.trim()
  if (!t) return null
  return /^\d+$/.test(t) ? Number(t) : t
}

// The body to PUT. The region map is sent whatever the strategy (kept for when it is 按区域
// again); a district nobody is ticked for is left out (its leads go round-robin either way).
export function fromForm(s: LeadSettings, f: LeadForm): LeadSettings {
  const n = (path: string) => typed(f.numbers[path] ?? '') as number
  const regions = Object.fromEntries(Object.entries(f.regions).filter(([, ids]) => ids.length).map(([d, ids]) => [d, [...ids]]))
  return {
    ...s,
    required_fields: [...f.required_fields],
    grading: f.grading.map(ruleOf),
    default_grade: f.default_grade,
    assignment: {
      ...s.assignment, strategy: f.strategy, regions,
      load_cap: n('assignment.load_cap'), grab_window_minutes: n('assignment.grab_window_minutes'),
    },
    protection: { ...s.protection, visit_days: n('protection.visit_days'), deal_days: n('protection.deal_days') },
    pool: { ...s.pool, daily_claim_cap: n('pool.daily_claim_cap'), cooling_days: n('pool.cooling_days') },
  }
}

// The key of a condition's part in the form's errors (the API's path of it).
export const conditionKey = (rule: number, cond: number, part: 'field' | 'op' | 'value') => `grading.${rule}.when.${cond}.${part}`
export const regionKey = (district: string) => `assignment.regions.${district}`

// What the API accepts but can never match: a 属于任一 with nothing chosen. Found before
// sending, under the same keys as the API's refusals.
export function formProblems(f: LeadForm): Record<string, string> {
  const problems: Record<string, string> = {}
  f.grading.forEach((r, i) => r.when.forEach((c, j) => {
    if (c.op === 'in' && !(conditionValue(c) as string[]).length) problems[conditionKey(i, j, 'value')] = '请至少选择一项'
  }))
  return problems
}

// The form field an API error path names, else null (then it is shown above the form):
// "protection.visit_days"; "grading.1.label"; "grading.1.when.0.value.int" and the whole
// condition "grading.1.when.0" (its value does not fit its operator) → the condition's value;
// "grading.1.when" (no conditions); "assignment.regions.滨江区.0" → that district's row.
export function formFieldOf(path: string | null | undefined): string | null {
  if (!path) return null
  if (path === 'assignment.strategy') return 'strategy'
  if (path === 'default_grade' || path.startsWith('required_fields')) return path.split('.')[0]
  if ((NUMBER_FIELDS as readonly string[]).includes(path)) return path
  const rule = /^grading\.(\d+)(?:\.(grade|label|when)(?:\.(\d+)(?:\.(field|op|value)(?:\..*)?)?)?)?$/.exec(path)
  if (rule) {
    const [, i, part, j, sub] = rule
    if (part === 'when' && j !== undefined) return conditionKey(Number(i), Number(j), (sub ?? 'value') as 'value')
    return part ? `grading.${i}.${part}` : null
  }
  if (path === 'assignment.regions') return path
  const region = /^assignment\.regions\.(.+?)(?:\.\d+)?$/.exec(path)
  return region ? regionKey(region[1]) : null
}

// The words shown at a form field for the API's refusal there: a condition's value refused
// for not fitting its operator (the API says "gte needs a number") in words a director
// reads; null for any other refusal (then the API's own words are shown).
export function refusalWords(f: LeadForm, key: string, message: string): string | null {
  const at = /^grading\.(\d+)\.when\.(\d+)\.value$/.exec(key)
  const cond = at ? f.grading[Number(at[1])]?.when[Number(at[2])] : undefined
  if (!cond) return null
  if (/needs a number|valid integer/.test(message)) return kindOf(cond.field) === 'money' ? '请填写金额（万元，最多 4 位小数）' : '请填写整数'
  if (/in needs a list/.test(message)) return '请至少选择一项'
  if (/eq needs a value/.test(message)) return '请填写或选择一个值'
  return null
}

function valueWords(c: GradeCondition): string {
  const one = (v: unknown): string => {
    if (v === null || v === undefined || v === '') return '（未填）'
    if (typeof v === 'number') return kindOf(c.field) === 'money' ? `${wanOf(v)} 万元` : kindOf(c.field) === 'number' ? `${v} ㎡` : String(v)
    const s = String(v)
    return (c.field === 'purpose' ? PURPOSES[s] : c.field === 'channel' ? CHANNELS[s] : undefined) ?? s
  }
  if (Array.isArray(c.value)) return c.value.length ? c.value.map(one).join('、') : '（未选）'
  return one(c.value)
}

// A grading rule in words: "A 级（预算达标）：最低预算 ≥ 300 万元 且 置业目的 属于 自住、改善".
export function ruleWords(rule: GradeRule): string {
  const parts = rule.when.map((c) => {
    const name = GRADABLE[c.field] ?? REQUIRABLE[c.field] ?? c.field
    return `${name} ${OP_WORDS[c.op] ?? c.op}${c.op === 'present' ? '' : ` ${valueWords(c)}`}`
  })
  return `${rule.grade} 级${rule.label ? `（${rule.label}）` : ''}：${parts.join(' 且 ')}`
}
