import { describe, expect, it } from 'vitest'
import { fromRows, rowKeyForPath, toRows, toSettings, withStages, type SopTemplate } from './sopForm'

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
    expect(rowKeyForPath('opens', rows)).toBe('settings.opens')
    expect(rowKeyForPath('max_tasks', rows)).toBeNull()
  })

  it('offers every stage of the funnel and saves only those given tasks', () => {
    const rows = withStages(toRows(template), ['new', 'contacted', 'invited', 'visited'])
    expect(rows.map((r) => r.stage)).toEqual(['new', 'contacted', 'invited', 'visited'])
    expect(fromRows(template, rows).stages.map((s) => s.stage)).toEqual(['new', 'visited'])
    rows[2].tasks.push({ key: 'brochure', title: '发送楼书', due_after: '1d', remind_before: '', working_hours: false, evidence: 'manual', rest: {} })
    const sent = fromRows(template, rows)
    expect(sent.stages.map((s) => s.stage)).toEqual(['new', 'invited', 'visited'])
    // The API counts stages in what was sent: index 1 is 邀约到访 now.
    expect(rowKeyForPath('stages.1.tasks.0.due_after', rows)).toBe('invited.0.due_after')
    expect(rowKeyForPath('stages.2.tasks.1.title', rows)).toBe('visited.1.title')
  })

  it('edits the office hours and the silence and recycling days', () => {
    const settings = toSettings(template)
    expect(settings).toMatchObject({ opens: '09:00', silence_warning_days: '3', recycle_after_days: '' })
    settings.silence_warning_days = ' 5 '
    settings.recycle_after_days = '20'
    settings.closes = '20:30'
    const sent = fromRows(template, toRows(template), settings)
    expect([sent.silence_warning_days, sent.recycle_after_days, sent.closes]).toEqual([5, 20, '20:30'])
    settings.silence_warning_days = '五'
    expect(fromRows(template, toRows(template), settings).silence_warning_days).toBe('五')   // the API names it
  })
})
