import { describe, expect, it } from 'vitest'
import { fromRows, rowKeyForPath, toRows, type SopTemplate } from './sopForm'

const template: SopTemplate = {
  opens: '09:00',
  closes: '21:00',
  silence_warning_days: 3,
  stages: [
    { stage: 'new', tasks: [{ key: 'first_call', title: '首次联系客户', due_after: '15m', escalation: [{ after: '1h' }] }] },
    { stage: 'visited', tasks: [
      { key: 'thanks', title: '到访感谢', due_after: '2h', remind_before: '30m', working_hours: true },
      { key: 'revisit', title: '邀约复访', due_after: '3d' },
    ] },
  ],
}

describe('sopForm', () => {
  it('turns a template into rows and back unchanged in what the form does not edit', () => {
    const back = fromRows(template, toRows(template))
    expect(back.silence_warning_days).toBe(3)
    expect(back.stages[0].tasks[0].escalation).toEqual([{ after: '1h' }])
    expect(back.stages[1].tasks[0]).toMatchObject({ key: 'thanks', remind_before: '30m', working_hours: true })
    expect(back.stages[1].tasks[1].remind_before).toBeNull()
  })

  it('carries an edit and a removed task into the template', () => {
    const rows = toRows(template)
    rows[1].tasks[0].due_after = ' 4h '
    rows[1].tasks.splice(1, 1)
    const back = fromRows(template, rows)
    expect(back.stages[1].tasks.map((t) => [t.key, t.due_after])).toEqual([['thanks', '4h']])
  })

  it('maps the API error path to the row field, by stage index or stage name', () => {
    const rows = toRows(template)
    expect(rowKeyForPath('stages.1.tasks.1.due_after', rows)).toBe('visited.1.due_after')
    expect(rowKeyForPath('stages.visited.tasks.0.title', rows)).toBe('visited.0.title')
    expect(rowKeyForPath('stages.visited.tasks.5.title', rows)).toBeNull()
    expect(rowKeyForPath('opens', rows)).toBeNull()
  })
})
