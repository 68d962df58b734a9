import { describe, expect, it } from 'vitest'
import {
  changeField, changeOp, choicesFor, formFieldOf, formProblems, fromForm, moveRule, newCondition, newRule, operatorsFor,
  refusalWords, ruleOf, ruleWords, toForm, wanOf, yuanOf, type LeadSettings,
} from './leadRules'

const settings: LeadSettings = {
  required_fields: ['budget_min'],
  grading: [
    { grade: 'A', label: '预算达标且自住/改善/学区', when: [
      { field: 'budget_min', op: 'gte', value: 3_000_000 },
      { field: 'purpose', op: 'in', value: ['self_use', 'upgrade', 'school_district'] }] },
    { grade: 'B', label: '有预算', when: [{ field: 'budget_min', op: 'present', value: null }] },
  ],
  default_grade: 'C',
  assignment: { strategy: 'round_robin', regions: { 滨江: ['u1'] }, load_cap: null, grab_window_minutes: 10 },
  protection: { visit_days: 7, deal_days: 30 },
  pool: { daily_claim_cap: 5, cooling_days: 7 },
}

describe('the lead rules form', () => {
  it('sends numbers as numbers, blanks as null, and gives back what it did not change', () => {
    const form = toForm(settings)
    expect(form.numbers['assignment.load_cap']).toBe('')
    form.strategy = 'load'
    form.numbers['assignment.load_cap'] = '40'
    form.numbers['protection.visit_days'] = '十'     // sent as typed: the API names the field
    const body = fromForm(settings, form)
    expect(body.assignment).toEqual({ strategy: 'load', regions: { 滨江: ['u1'] }, load_cap: 40, grab_window_minutes: 10 })
    expect(body.protection.visit_days).toBe('十')
    expect(body.grading).toEqual(settings.grading)
  })

  it('shows budgets in 万元 and sends them in yuan, exactly', () => {
    const form = toForm(settings)
    expect(form.grading[0].when[0]).toMatchObject({ field: 'budget_min', op: 'gte', text: '300' })
    expect(form.grading[0].when[1].list).toEqual(['self_use', 'upgrade', 'school_district'])
    expect(wanOf(3_000_000)).toBe('300')
    expect(wanOf(15_000)).toBe('1.5')
    expect(wanOf(1)).toBe('0.0001')
    expect(wanOf(123_456_789)).toBe('12345.6789')
    expect(yuanOf('500')).toBe(5_000_000)
    expect(yuanOf(' 0.07 ')).toBe(700)               // 0.07 * 10000 is 700.0000000000001 in floats
    expect(yuanOf('325.5')).toBe(3_255_000)
    expect(yuanOf('1.00001')).toBeNull()             // not a whole yuan
    expect(yuanOf('五百')).toBeNull()
    expect(yuanOf('')).toBeNull()
    for (const yuan of [0, 1, 700, 9_999, 10_001, 3_000_000, 12_345_678_901]) expect(yuanOf(wanOf(yuan))).toBe(yuan)
  })

  it('sends each condition with the value its operator takes', () => {
    const form = toForm(settings)
    const rule = newRule()
    rule.label = '  '
    rule.when[0].text = '500'
    const area = newCondition('area_min')
    area.text = '120'
    const channel = newCondition('channel')
    channel.op = 'eq'
    channel.text = 'douyin'
    const layout = newCondition('layout')
    layout.op = 'in'
    layout.text = '三室、 四室,'
    rule.when.push(area, channel, layout)
    form.grading.unshift(rule)
    expect(fromForm(settings, form).grading[0]).toEqual({ grade: 'A', label: null, when: [
      { field: 'budget_min', op: 'gte', value: 5_000_000 },
      { field: 'area_min', op: 'gte', value: 120 },
      { field: 'channel', op: 'eq', value: 'douyin' },
      { field: 'layout', op: 'in', value: ['三室', '四室'] }] })
  })

  it('sends what is not a number as typed and a blank as null, for the API to refuse at the condition', () => {
    const rule = newRule()
    expect(ruleOf(rule).when[0].value).toBeNull()
    rule.when[0].text = '1.00001'
    expect(ruleOf(rule).when[0].value).toBe('1.00001')
    const area = newCondition('area_max')
    area.text = '12.5'
    expect(ruleOf({ ...rule, when: [area] }).when[0].value).toBe('12.5')
  })

  it('offers the operators that fit a field, keeping one a rule already has', () => {
    expect(operatorsFor('budget_min')).toEqual(['gte', 'lte', 'present'])
    expect(operatorsFor('area_max')).toEqual(['gte', 'lte', 'present'])
    expect(operatorsFor('purpose')).toEqual(['eq', 'in', 'present'])
    expect(operatorsFor('district')).toEqual(['eq', 'in', 'present'])
    expect(operatorsFor('budget_min', 'eq')).toEqual(['gte', 'lte', 'present', 'eq'])
    expect(Object.values(choicesFor('purpose'))).toEqual(['自住', '投资', '学区', '改善'])
    expect(choicesFor('channel').douyin).toBe('抖音')
  })

  it('changes a field or an operator without sending a value that no longer fits', () => {
    const c = newCondition()
    c.text = '300'
    changeField(c, 'purpose')
    expect(c).toMatchObject({ field: 'purpose', op: 'eq', text: '', list: [] })
    c.text = 'upgrade'
    changeOp(c, 'in')
    expect(c).toMatchObject({ op: 'in', text: '', list: ['upgrade'] })
    changeOp(c, 'eq')
    expect(c).toMatchObject({ op: 'eq', text: 'upgrade', list: [] })
    changeOp(c, 'present')
    changeField(c, 'budget_max')
    expect(c).toMatchObject({ field: 'budget_max', op: 'present' })   // 已填写 fits every field
  })

  it('moves rules up and down, not past the ends', () => {
    const form = toForm(settings)
    form.grading.push(newRule())
    expect(moveRule(form.grading, 2, -1)).toBe(true)
    expect(moveRule(form.grading, 1, -1)).toBe(true)
    expect(form.grading.map((r) => r.grade + (r.label || ''))).toEqual(['A', 'A预算达标且自住/改善/学区', 'B有预算'])
    expect(moveRule(form.grading, 0, -1)).toBe(false)
    expect(moveRule(form.grading, 2, 1)).toBe(false)
  })

  it('keeps the region map whatever the strategy, leaving out districts nobody is ticked for', () => {
    const form = toForm(settings)
    form.regions['滨江'].push('u2')
    form.regions['西湖'] = []
    form.regions['萧山'] = ['u3']
    expect(settings.assignment.regions['滨江']).toEqual(['u1'])   // the form has its own copy
    expect(fromForm(settings, form).assignment.regions).toEqual({ 滨江: ['u1', 'u2'], 萧山: ['u3'] })
  })

  it('finds a 属于任一 with nothing chosen before sending', () => {
    const form = toForm(settings)
    expect(formProblems(form)).toEqual({})
    form.grading[0].when[1].list = []
    expect(formProblems(form)).toEqual({ 'grading.0.when.1.value': '请至少选择一项' })
  })

  it('finds the field an API refusal names', () => {
    expect(formFieldOf('protection.visit_days')).toBe('protection.visit_days')
    expect(formFieldOf('assignment.strategy')).toBe('strategy')
    expect(formFieldOf('required_fields.0')).toBe('required_fields')
    // The API names a value that does not fit its operator by the whole condition.
    expect(formFieldOf('grading.1.when.0')).toBe('grading.1.when.0.value')
    expect(formFieldOf('grading.1.when.0.value')).toBe('grading.1.when.0.value')
    expect(formFieldOf('grading.1.when.0.value.int')).toBe('grading.1.when.0.value')
    expect(formFieldOf('grading.0.when.2.field')).toBe('grading.0.when.2.field')
    expect(formFieldOf('grading.0.when.2.op')).toBe('grading.0.when.2.op')
    expect(formFieldOf('grading.0.when')).toBe('grading.0.when')
    expect(formFieldOf('grading.3.grade')).toBe('grading.3.grade')
    expect(formFieldOf('grading.3.label')).toBe('grading.3.label')
    expect(formFieldOf('grading.3')).toBeNull()
    expect(formFieldOf('grading')).toBeNull()
    expect(formFieldOf('assignment.regions.滨江区.0')).toBe('assignment.regions.滨江区')
    expect(formFieldOf('assignment.regions.滨江区')).toBe('assignment.regions.滨江区')
    expect(formFieldOf('assignment.regions')).toBe('assignment.regions')
    expect(formFieldOf('nonsense')).toBeNull()
  })

  it('says a refused condition value in words a director reads', () => {
    const form = toForm(settings)
    expect(refusalWords(form, 'grading.0.when.0.value', 'grading.0.when.0: Value error, gte needs a number')).toBe('请填写金额（万元，最多 4 位小数）')
    expect(refusalWords(form, 'grading.0.when.1.value', 'grading.0.when.1: Value error, in needs a list')).toBe('请至少选择一项')
    expect(refusalWords(form, 'grading.0.label', 'String should have at most 100 characters')).toBeNull()
  })

  it('says a grading rule in words', () => {
    expect(ruleWords(settings.grading[1])).toBe('B 级（有预算）：最低预算 已填写')
    expect(ruleWords(settings.grading[0])).toBe('A 级（预算达标且自住/改善/学区）：最低预算 ≥ 300 万元 且 置业目的 属于 自住、改善、学区')
    expect(ruleWords({ grade: 'D', when: [{ field: 'channel', op: 'eq', value: 'douyin' }, { field: 'area_max', op: 'lte', value: 60 },
      { field: 'budget_max', op: 'lte', value: null }] })).toBe('D 级：来源渠道 为 抖音 且 最大面积 ≤ 60 ㎡ 且 最高预算 ≤ （未填）')
  })
})
