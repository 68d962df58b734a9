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

export function fromRows(template: SopTemplate, rows: StageRows[]): SopTemplate {
  return {
    ...template,
    stages: rows.map((s) => ({
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
export function rowKeyForPath(path: string, rows: StageRows[]): string | null {
  const parts = path.split('.')
  if (parts[0] !== 'stages' || parts.length < 5 || parts[2] !== 'tasks') return null
  const byIndex = /^\d+$/.test(parts[1]) ? rows[Number(parts[1])] : undefined
  const stage = byIndex ?? rows.find((s) => s.stage === parts[1])
  const index = Number(parts[3])
  if (!stage || !Number.isInteger(index) || !stage.tasks[index]) return null
  return rowFieldKey(stage.stage, index, parts[4])
}
