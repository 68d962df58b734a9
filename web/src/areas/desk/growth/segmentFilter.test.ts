import { describe, expect, it } from 'vitest'
import { emptyForm, filterOf, formErrors } from './segmentFilter'

describe('segment filter', () => {
  it('an empty form is everyone in scope who has not opted out', () => {
    expect(filterOf(emptyForm())).toEqual({ opted_out: false })
  })

  it('sends only the parts given, silence as no follow-up for N days or never', () => {
    const form = { ...emptyForm(), stages: ['visited'], tags: ['focus:学区', 'focus:地铁'], tagsMatch: 'all' as const,
      projectIds: ['p1'], silentDays: '30', createdWithinDays: ' 90 ' }
    expect(filterOf(form)).toEqual({
      opted_out: false, stages: ['visited'], tags: ['focus:学区', 'focus:地铁'], tags_match: 'all', project_ids: ['p1'],
      last_followup: { more_than_days_ago: 30, or_never: true }, created: { within_days: 90 },
    })
  })

  it('"all tags" with one tag is just that tag', () => {
    expect(filterOf({ ...emptyForm(), tags: ['family:单身'], tagsMatch: 'all' })).toEqual({ opted_out: false, tags: ['family:单身'] })
  })

  it('days that are not whole numbers are refused at their field and not sent', () => {
    const form = { ...emptyForm(), silentDays: '3.5', createdWithinDays: '0' }
    expect(formErrors(form)).toEqual({ last_followup: '请输入整数天数', created: '请输入大于 0 的整数天数' })
    expect(filterOf(form)).toEqual({ opted_out: false, created: { within_days: 0 } })
  })
})
