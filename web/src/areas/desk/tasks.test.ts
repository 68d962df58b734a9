import { describe, expect, it } from 'vitest'
import { behind } from './tasks'

describe('behind', () => {
  it('counts overdue tasks per owner, most first, and leaves the punctual out', () => {
    const tasks = [
      { owner_id: 'b', overdue: true }, { owner_id: 'a', overdue: true }, { owner_id: 'b', overdue: true },
      { owner_id: 'c', overdue: false },
    ]
    expect(behind(tasks)).toEqual([{ owner_id: 'b', overdue: 2 }, { owner_id: 'a', overdue: 1 }])
    expect(behind([])).toEqual([])
  })
})
