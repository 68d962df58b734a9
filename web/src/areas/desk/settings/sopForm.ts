// An SOP template (contracts/tasks.py SopTemplate) as editable form rows and back, and the
// API's refusal (error.field such as "stages.0.tasks.1.due_after" or
// "stages.visited.tasks.1.due_after") turned into the key of the row field it names.

export interface SopTask {
  key: string
  title: string
  due_after: string
  working_hours?: boolean
  evidence?: 'followup' | 'stage' | 'manual'
  followup_types?: string[]
  remind_before?: string | null
  escalation?: unknown[]
}

export interface SopTemplate {
  opens: string
  closes: string
  stages: { stage: string; tasks: SopTask[] }[]
  [other: string]: unknown
}

export interface TaskRow {
  key: string
  title: string
  due_after: string
  remind_before: string
  working_hours: boolean
  evidence: 'followup' | 'stage' | 'manual'
  rest: Partial<SopTask> // fields the form does not edit, kept as they were
}

export interface StageRows {
  stage: string
  tasks: TaskRow[]
  stored?: boolean // in the template as loaded (a stage added by the form is not, until it has tasks)
}

// A stage goes into the saved template when it has tasks or was there already; the API's
// error paths count stages in this same list.
const kept = (row: StageRows) => row.stored !== false || row.tasks.length > 0

// Every stage the project uses gets a section, in funnel order, so a director can give
// tasks to a stage that has none; stages of the template the funnel no longer uses stay last.
export function withStages(rows: StageRows[], stages: string[]): StageRows[] {
  const byStage = new Map(rows.map((r) => [r.stage, r]))
  const used = stages.map((stage) => byStage.get(stage) ?? { stage, tasks: [], stored: false })
  return [...used, ...rows.filter((r) => !stages.includes(r.stage))]
}

// The template's own settings, as the form's text inputs hold them.
export const SETTING_FIELDS = ['opens', 'closes', 'silence_warning_days', 'recycle_after_days', 'recycle_notice_days'] as const
export type SettingField = typeof SETTING_FIELDS[number]
export type SettingsForm = Record<SettingField, string>

export function toSettings(template: SopTemplate): SettingsForm {
  return Object.fromEntries(SETTING_FIELDS.map((f) => [f, template[f] === undefined || template[f] === null ? '' : String(template[f])])) as SettingsForm
}

// Numbers as numbers when they are numbers; anything else goes as typed, for the API to name.
function settingValue(field: SettingField, text: string): string | number | undefined {
  const value = text.trim()
  if (field === 'opens' || field === 'closes') return value
  if (value === '') return undefined
  return /^\d+$/.test(value) ? Number(value) : value
}

export function toRows(template: SopTemplate): StageRows[] {
  return template.stages.map((s) => ({
    stage: s.stage,
    tasks: s.tasks.map((t) => {
      const { key, title, due_after, remind_before, working_hours, evidence, ...rest } = t
      return {
        key,
        title,
        due_after,
        remind_before: remind_before ?? '',
        working_hours: Boolean(working_hours),
        evidence: evidence ?? 'manual',
        rest,
      }
    }),
  }))
}

export function fromRows(template: SopTemplate, rows: StageRows[], settings?: SettingsForm): SopTemplate {
  const changed: Record<string, unknown> = {}
  if (settings) {
    for (const field of SETTING_FIELDS) {
      const value = settingValue(field, settings[field])
      if (value !== undefined) changed[field] = value
    }
  }
  return {
    ...template,
    ...changed,
    stages: rows.filter(kept).map((s) => ({
      stage: s.stage,
      tasks: s.tasks.map((t) => ({
        ...t.rest,
        key: t.key.trim(),
        title: t.title.trim(),
        due_after: t.due_after.trim(),
        remind_before: t.remind_before.trim() || null,
        working_hours: t.working_hours,
        evidence: t.evidence,
      })),
    })),
  }
}

// The form's key for a task field: "<stage>.<task index>.<field>".
export function rowFieldKey(stage: string, index: number, field: string): string {
  return `${stage}.${index}.${field}`
}

// The row field an API error path names, or null when it names none (shown above the form).
// A setting's error is keyed "settings.<field>".
export function rowKeyForPath(path: string, rows: StageRows[]): string | null {
  const parts = path.split('.')
  if ((SETTING_FIELDS as readonly string[]).includes(parts[0])) return `settings.${parts[0]}`
  if (parts[0] !== 'stages' || parts.length < 5 || parts[2] !== 'tasks') return null
  const sent = rows.filter(kept)
  const byIndex = /^\d+$/.test(parts[1]) ? sent[Number(parts[1])] : undefined
  const stage = byIndex ?? rows.find((s) => s.stage === parts[1])
  const index = Number(parts[3])
  if (!stage || !Number.isInteger(index) || !stage.tasks[index]) return null
  return rowFieldKey(stage.stage, index, parts[4])
}
