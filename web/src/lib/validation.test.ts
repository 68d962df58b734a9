import { describe, expect, it } from 'vitest'
import { passwordErrors, phoneDigits, phoneError, validateFollowup, validateLead, validateSigning } from './validation'

describe('phones as people type them', () => {
  it('accepts mobiles in any writing and landlines with area code', () => {
    for (const ok of ['13800138000', '138 0013 8000', '138-0013-8000', '+86 138 0013 8000', '１３８００１３８０００', '057188886666']) {
      expect(phoneError(ok), ok).toBeNull()
    }
    expect(phoneDigits('+86 138-0013-8000')).toBe('13800138000')
  })
  it('names what is wrong', () => {
    expect(phoneError('')).toBe('请填写手机号')
    expect(phoneError('1380013800')).toBe('手机号应为11位，以1开头')
    expect(phoneError('12ab')).toBe('号码只能包含数字')
    expect(phoneError('88886666')).toBe('请填写正确的手机号或带区号的固话')
  })
})

describe('lead form', () => {
  it('names each field that is missing', () => {
    expect(validateLead({ name: ' ', phone: '', project_id: '', channel: '' })).toEqual({
      name: '请填写客户姓名', phone: '请填写手机号', project_id: '请选择项目', channel: '请选择来源渠道',
    })
    expect(validateLead({ name: '张三', phone: '13800138000', project_id: 'p', channel: 'walk_in' })).toEqual({})
  })
})

describe('follow-up and signing forms', () => {
  it('needs what was said', () => {
    expect(validateFollowup({ type: 'call', content: '  ' })).toEqual({ content: '请填写跟进内容' })
  })
  it('turns 万元 into yuan and needs the unit', () => {
    expect(validateSigning({ deal_amount: '325.5', unit: '3-1201' })).toEqual({ errors: {}, amount: 3_255_000 })
    expect(validateSigning({ deal_amount: '-1', unit: '' }).errors).toEqual({
      deal_amount: '金额应为大于0的数字（万元）', unit: '请填写房号',
    })
  })
  it('checks a new password before sending it', () => {
    expect(passwordErrors('old', 'short', 'short')).toEqual({ new_password: '新密码至少8位' })
    expect(passwordErrors('old', 'longer-pass', 'other')).toEqual({ repeat: '两次输入的新密码不一致' })
  })
})
