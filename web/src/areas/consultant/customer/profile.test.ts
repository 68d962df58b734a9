import { describe, expect, it } from 'vitest'
import type { Customer } from '@/api/customers'
import { formOf, patchOf } from './profile'

const customer = {
  id: 'c1', project_id: 'p1', name: '周女士', phone: '139****0000', phone_masked: true, owner_id: 'u1',
  stage: 'new', stage_label: '新线索', grade: 'B', channel: 'douyin', sub_source: null,
  created_at: '2026-12-02T00:00:00Z', updated_at: '2026-12-02T00:00:00Z', version: 3, completeness: 20,
  missing_required: [], phones: [], portrait: { budget_min: 3_000_000, layouts: ['三房'] }, tags: {}, free_tags: [],
} as Customer

describe('the profile form', () => {
  it('sends the grade only when the consultant changed it', () => {
    const form = formOf(customer)
    expect(form.grade).toBe('B')
    expect(patchOf(form, 3, customer.grade).body).not.toHaveProperty('grade')
    form.grade = 'A'
    expect(patchOf(form, 3, customer.grade).body).toMatchObject({ version: 3, grade: 'A' })
  })

  it('reads budgets in 万元 and refuses a maximum below the minimum', () => {
    const form = formOf(customer)
    expect(form.budget_min).toBe('300')
    expect(patchOf(form, 3).body.budget_min).toBe(3_000_000)
    form.budget_max = '200'
    expect(patchOf(form, 3).errors).toEqual({ budget_max: '最高预算不能低于最低预算' })
  })
})
