// A project's funnel (which standard stages it uses, and its own names for them) and its
// profile fields (required, optional or not counted) as form rows and back, in the shapes of
// PUT /api/projects/<id>/funnel and /profile-fields (contracts/customers.py).
import { FUNNEL, OFF_RAMPS } from '@/lib/stages'

export interface FunnelAnswer { stages: string[]; renamed: Record<string, string> }
export interface FunnelRow { stage: string; used: boolean; fixed: boolean; name: string }

// The funnel always starts at 新线索 and ends at 签约; 无效 and 流失 are off-ramps everywhere.
const FIXED = new Set(['new', 'signed', ...OFF_RAMPS])

export function funnelRows(answer: FunnelAnswer): FunnelRow[] {
  return [...FUNNEL, ...OFF_RAMPS].map((stage) => ({
    stage, fixed: FIXED.has(stage), used: FIXED.has(stage) || answer.stages.includes(stage),
    name: answer.renamed[stage] ?? '',
  }))
}

export function funnelBody(rows: FunnelRow[]): { stages: string[]; labels: Record<string, string> } {
  const stages = rows.filter((r) => r.used && FUNNEL.includes(r.stage)).map((r) => r.stage)
  const labels: Record<string, string> = {}
  for (const r of rows) if (r.used && r.name.trim()) labels[r.stage] = r.name.trim()
  return { stages, labels }
}

export type Weight = 'required' | 'optional' | 'none'
export const PROFILE_FIELDS = ['name', 'phone', 'gender', 'age_band', 'wechat', 'budget', 'area', 'layouts', 'districts', 'purpose', 'tags', 'free_tags']

export interface FieldsAnswer { required: string[]; optional: string[] }

export function fieldWeights(answer: FieldsAnswer): Record<string, Weight> {
  const weights: Record<string, Weight> = {}
  for (const f of PROFILE_FIELDS) {
    weights[f] = answer.required.includes(f) ? 'required' : answer.optional.includes(f) ? 'optional' : 'none'
  }
  return weights
}

// Tag dimensions the project counts (`tag:focus`) are not on this form: they are kept as set.
export function fieldsBody(answer: FieldsAnswer, weights: Record<string, Weight>): FieldsAnswer {
  const tagged = (list: string[]) => list.filter((f) => f.startsWith('tag:'))
  return {
    required: [...PROFILE_FIELDS.filter((f) => weights[f] === 'required'), ...tagged(answer.required)],
    optional: [...PROFILE_FIELDS.filter((f) => weights[f] === 'optional'), ...tagged(answer.optional)],
  }
}

export const PROFILE_FIELD_NAMES: Record<string, string> = {
  name: '姓名', phone: '手机号', gender: '性别', age_band: '年龄段', wechat: '微信', budget: '预算',
  area: '面积', layouts: '户型', districts: '意向区域', purpose: '置业目的', tags: '标签', free_tags: '自定义标签',
}
