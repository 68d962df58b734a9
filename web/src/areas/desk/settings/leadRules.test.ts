import { describe, expect, it } from 'vitest'
import { formFieldOf, fromForm, ruleWords, toForm, type LeadSettings } from './leadRules'

const settings: LeadSettings = {
  required_fields: ['budget_min'],
  grading: [{ grade: 'B', label: '有预算', when: [{ field: 'budget_min', op: 'present' }] }],
  default_grade: 'C',
  assignment: { strategy: 'round_robin', regions: { 滨江: ['u1'] }, load_cap: null, grab_window_minutes: 10 },
  protection: { visit_days: 7, deal_days: 30 },
  pool: { daily_claim_cap: 5, cooling_days: 7 },
}

describe('the lead rules form', () => {
  it('sends numbers as numbers, blanks as null, and keeps what it does not edit', () => {
    const form = toForm(settings)
    expect(form.numbers['assignment.load_cap']).toBe('')
    form.strategy = 'load'
    form.numbers['assignment.load_cap'] = '40'
    form.numbers['protection.visit_days'] = '十'     // sent as typed: the API names the field
    const body = fromForm(settings, form)
    expect(body.assignment).toEqual({ strategy: 'load', regions: { 滨江: ['u1'] }, load_cap: 40, grab_window_minutes: 10 })
    expect(body.protection.visit_days).toBe('十')
    expect(body.grading).toBe(settings.grading)
  })

  it('finds the field an API refusal names', () => {
    expect(formFieldOf('protection.visit_days')).toBe('protection.visit_days')
    expect(formFieldOf('assignment.strategy')).toBe('strategy')
    expect(formFieldOf('required_fields.0')).toBe('required_fields')
    expect(formFieldOf('grading.0.when')).toBeNull()
  })

  it('says a grading rule in words', () => {
    expect(ruleWords(settings.grading[0])).toBe('B 级（有预算）：最低预算 已填写')
  })
})
