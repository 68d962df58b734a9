// A handover plan (离职交接, 批量转移) as the desk's form holds it, checked before the API
// sees it (which checks again and names the same fields), and said in words.
import type { HandoverMode, HandoverPlan, HandoverRule, HandoverStatus } from '@/api/handover'
import type { Errors } from './fieldErrors'

export interface RuleForm { mode: HandoverMode | ''; to_user_id: string }
export interface PlanForm extends RuleForm {
  // Another rule for some projects (by project id); a project left out follows the default.
  projects: Record<string, RuleForm>
}

export const MODE_WORDS: Record<HandoverMode, string> = {
  colleague: '全部交给一位同事',
  round_robin: '团队内轮流分配',
  pool: '释放到公海',
}

function checkRule(rule: RuleForm, prefix: string, errors: Errors): HandoverRule | null {
  if (!rule.mode) {
    errors[`${prefix}mode`] = '请选择交接方式'
    return null
  }
  if (rule.mode === 'colleague' && !rule.to_user_id) {
    errors[`${prefix}to_user_id`] = '请选择接手的同事'
    return null
  }
  return rule.mode === 'colleague' ? { mode: 'colleague', to_user_id: rule.to_user_id } : { mode: rule.mode }
}

// The plan to send, or the errors by the API's own field names ("mode", "to_user_id",
// "projects.<id>.to_user_id"). `leaverId`: nobody hands customers to themselves.
export function buildPlan(form: PlanForm, leaverId?: string): { plan: HandoverPlan | null; errors: Errors } {
  const errors: Errors = {}
  const main = checkRule(form, '', errors)
  const projects: Record<string, HandoverRule> = {}
  for (const [projectId, rule] of Object.entries(form.projects)) {
    const checked = checkRule(rule, `projects.${projectId}.`, errors)
    if (checked) projects[projectId] = checked
  }
  for (const [prefix, rule] of [['', form] as const, ...Object.entries(form.projects).map(([p, r]) => [`projects.${p}.`, r] as const)]) {
    if (leaverId && rule.mode === 'colleague' && rule.to_user_id === leaverId) {
      errors[`${prefix}to_user_id`] = '不能交给离职人本人'
    }
  }
  if (Object.keys(errors).length || !main) return { plan: null, errors }
  return { plan: Object.keys(projects).length ? { ...main, projects } : main, errors }
}

// "全部交给 李娜", "团队内轮流分配", "释放到公海".
export function ruleWords(rule: HandoverRule, names: Record<string, string>): string {
  if (rule.mode === 'colleague') return `全部交给 ${names[rule.to_user_id ?? ''] ?? '同事'}`
  return MODE_WORDS[rule.mode]
}

// How far a handover is, 0-100 (total unknown until the leads service planned it).
export function percent(status: Pick<HandoverStatus, 'moved' | 'skipped' | 'total' | 'done'>): number {
  if (status.done) return 100
  if (!status.total) return 0
  return Math.min(99, Math.floor(((status.moved + status.skipped) / status.total) * 100))
}

// "已转移 12 / 40 位" or, when finished, "完成：转移 38 位，跳过 2 位".
export function progressWords(status: Pick<HandoverStatus, 'moved' | 'skipped' | 'total' | 'done'>): string {
  if (status.done) return `完成：转移 ${status.moved} 位${status.skipped ? `，跳过 ${status.skipped} 位` : ''}`
  if (status.total === null) return '正在计划…'
  return `已处理 ${status.moved + status.skipped} / ${status.total} 位`
}
