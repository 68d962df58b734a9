// Form checks made before the API sees the form (the API checks again and names the field).

export type Errors = Record<string, string>

const MOBILE = /^1[3-9]\d{9}$/
const LANDLINE = /^0\d{2,3}\d{7,8}$/

// Digits of a phone as people type it: spaces, dashes, +86, full-width digits.
export function phoneDigits(raw: string): string {
  const ascii = raw.normalize('NFKC').replace(/[\s\-()]/g, '')
  return ascii.startsWith('+86') ? ascii.slice(3) : ascii.startsWith('0086') ? ascii.slice(4) : ascii
}

export function phoneError(raw: string): string | null {
  const digits = phoneDigits(raw)
  if (!digits) return '请填写手机号'
  if (!/^\+?\d+$/.test(digits)) return '号码只能包含数字'
  if (digits.startsWith('+')) return digits.length >= 8 ? null : '号码位数不对'
  if (MOBILE.test(digits) || LANDLINE.test(digits)) return null
  if (digits.startsWith('1')) return '手机号应为11位，以1开头'
  return '请填写正确的手机号或带区号的固话'
}

export function nameError(raw: string): string | null {
  const name = raw.trim()
  if (!name) return '请填写客户姓名'
  if (name.length > 50) return '姓名最多50个字'
  return null
}

export interface LeadForm {
  name: string
  phone: string
  project_id: string
  channel: string
}

export function validateLead(form: LeadForm): Errors {
  const errors: Errors = {}
  const name = nameError(form.name)
  if (name) errors.name = name
  const phone = phoneError(form.phone)
  if (phone) errors.phone = phone
  if (!form.project_id) errors.project_id = '请选择项目'
  if (!form.channel) errors.channel = '请选择来源渠道'
  return errors
}

export interface FollowupForm {
  type: string
  content: string
}

export function validateFollowup(form: FollowupForm): Errors {
  const errors: Errors = {}
  if (!form.type) errors.type = '请选择跟进方式'
  if (!form.content.trim()) errors.content = '请填写跟进内容'
  else if (form.content.trim().length > 2000) errors.content = '最多2000字'
  return errors
}

export interface SigningForm {
  deal_amount: string
  unit: string
}

// 签约: the amount in 万元 as typed ("325.5") → yuan; the unit (房号) required.
export function validateSigning(form: SigningForm): { errors: Errors; amount: number | null } {
  const errors: Errors = {}
  const text = form.deal_amount.trim()
  const wan = Number(text)
  let amount: number | null = null
  if (!text) errors.deal_amount = '请填写成交金额'
  else if (!Number.isFinite(wan) || wan <= 0) errors.deal_amount = '金额应为大于0的数字（万元）'
  else if (wan > 10_000_000) errors.deal_amount = '金额过大，请核对'
  else amount = Math.round(wan * 10_000)
  if (!form.unit.trim()) errors.unit = '请填写房号'
  return { errors, amount }
}

export function passwordErrors(oldPassword: string, newPassword: string, repeat: string): Errors {
  const errors: Errors = {}
  if (!oldPassword) errors.old_password = '请填写当前密码'
  if (newPassword.length < 8) errors.new_password = '新密码至少8位'
  else if (newPassword === oldPassword) errors.new_password = '新密码不能与当前密码相同'
  if (repeat !== newPassword) errors.repeat = '两次输入的新密码不一致'
  return errors
}
