import { describe, expect, it } from 'vitest'
import { ApiError } from '@/api/http'
import { accessWords, rolesGivenBy, roleWord, scopeWord } from './words'
import { passwordProblem, temporaryPassword } from './password'
import { fieldError, placeError } from '@/areas/desk/fieldErrors'

describe('words', () => {
  it('says roles and scopes in Chinese, unknown codes as they are', () => {
    expect(roleWord('manager')).toBe('销售经理')
    expect(scopeWord('pii:reveal')).toBe('查看完整手机号（留痕）')
    expect(scopeWord('x:y')).toBe('x:y')
    expect(accessWords('director', ['export'])).toBe('营销总监 · 导出客户（留痕）')
  })

  it('offers a director no role above their own', () => {
    expect(rolesGivenBy('admin')).toContain('admin')
    expect(rolesGivenBy('director')).toEqual(['consultant', 'manager', 'service_agent', 'channel_agent'])
    expect(rolesGivenBy('manager')).toEqual([])
  })
})

describe('temporaryPassword', () => {
  it('follows the policy, whatever the random draws', () => {
    let n = 0
    const counting = (count: number) => Array.from({ length: count }, () => n++)
    for (let i = 0; i < 50; i++) {
      const text = temporaryPassword('hz.chen', counting)
      expect(text).toHaveLength(12)
      expect(passwordProblem(text, 'hz.chen')).toBeNull()
    }
  })

  it('draws again when the username is inside', () => {
    // First draw spells "abcd…" around the username "abc"; the second does not.
    const draws = [Array(12).fill(0), Array(12).fill(5)]
    const text = temporaryPassword('aaa', () => draws.shift()!)
    expect(text.toLowerCase()).not.toContain('aaa')
  })

  it('explains what is wrong with a typed one', () => {
    expect(passwordProblem('short1', 'u')).toBe('至少10位')
    expect(passwordProblem('onlyletters', 'u')).toBe('须同时包含字母和数字')
    expect(passwordProblem('HZ.CHEN12345', 'hz.chen')).toBe('不能包含用户名')
  })
})

describe('fieldError', () => {
  it('puts the API refusal at the field it names, dotted fields at their first part', () => {
    const taken = new ApiError(409, 'conflict', '用户名已被使用', 'username')
    expect(fieldError(taken, ['username', 'name'])).toEqual({ field: 'username', text: '用户名已被使用' })
    const nested = new ApiError(404, 'not_found', 'no such consultant', 'filter.owner_id')
    expect(fieldError(nested, ['filter'])?.field).toBe('filter')
    const errors: Record<string, string> = {}
    expect(placeError(errors, new ApiError(422, 'validation_failed', 'x', 'other'), ['username'])).toBe(false)
    expect(placeError(errors, new Error('boom'), ['username'])).toBe(false)
    expect(errors).toEqual({})
  })
})
