import { describe, expect, it } from 'vitest'
import { joinable, mayManage, nextUp, stateWord } from './line'
import type { Slot } from '@/api/reception'
import type { DirectoryUser } from '@/api/users'

const slot = (user_id: string, extra: Partial<Slot> = {}): Slot => ({
  user_id, name: user_id, position: 1, paused: false, on_duty: true, last_served_at: null, ...extra })
const person = (id: string, team: string | null, extra: Partial<DirectoryUser> = {}): DirectoryUser => ({
  id, username: id, name: id, role: 'consultant', team_id: team, project_ids: ['p'], effective_project_ids: ['p'],
  scopes: [], effective_scopes: [], active: true, on_duty: true, must_change_password: false,
  password_changed_at: null, created_at: '', revision: 1, ...extra })

describe('接待轮岗', () => {
  it('sends the visitor to the first one on duty and not paused', () => {
    expect(nextUp([slot('a', { paused: true }), slot('b', { on_duty: false }), slot('c'), slot('d')])?.user_id).toBe('c')
    expect(nextUp([slot('a', { paused: true })])).toBeNull()
  })
  it('lets a manager move their own team only, a director anyone', () => {
    const people = [person('mine', 't1'), person('theirs', 't2')]
    const manager = { id: 'm', role: 'manager', team_id: 't1' }
    expect(mayManage(manager, 'mine', people)).toBe(true)
    expect(mayManage(manager, 'theirs', people)).toBe(false)
    expect(mayManage(manager, 'm', people)).toBe(true)
    expect(mayManage({ id: 'd', role: 'director', team_id: null }, 'theirs', people)).toBe(true)
  })
  it('offers the project\'s active consultants not yet in line', () => {
    const people = [person('in', 't1'), person('out', 't1'), person('left', 't1', { active: false }),
      person('elsewhere', 't1', { effective_project_ids: ['q'], project_ids: ['q'] }),
      person('boss', 't1', { role: 'manager' }), person('other team', 't2')]
    const manager = { id: 'm', role: 'manager', team_id: 't1' }
    expect(joinable('p', [slot('in')], people, manager).map((p) => p.id)).toEqual(['out'])
  })
  it('names the state in words', () => {
    expect(stateWord(slot('a', { paused: true })).text).toBe('暂停')
    expect(stateWord(slot('a', { on_duty: false })).text).toBe('未值班')
    expect(stateWord(slot('a')).text).toBe('在岗')
  })
})
