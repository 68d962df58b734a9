import { describe, expect, it } from 'vitest'
import { assign, fieldLabel, mappingOf, missing } from './mapping'

const recognised = [
  { index: 0, header: '序号', field: '' },
  { index: 1, header: '客户姓名', field: 'name' },
  { index: 2, header: '手机号', field: 'phone' },
  { index: 3, header: '备用电话', field: '' },
  { index: 4, header: '', field: '' },
]

describe('import column mapping', () => {
  it('sends every named column with the field shown, blanks for columns left out', () => {
    expect(mappingOf(recognised)).toEqual({ 序号: '', 客户姓名: 'name', 手机号: 'phone', 备用电话: '' })
  })

  it('moving a field to another column takes it off the first one', () => {
    const edited = assign(recognised, 3, 'phone')
    expect(mappingOf(edited)).toEqual({ 序号: '', 客户姓名: 'name', 手机号: '', 备用电话: 'phone' })
    expect(missing(edited)).toEqual([])
  })

  it('leaving out the phone column says phone is missing', () => {
    const edited = assign(recognised, 2, '')
    expect(missing(edited)).toEqual(['phone'])
    expect(mappingOf(edited)['手机号']).toBe('')
  })

  it('of two columns with one header only the first is named', () => {
    expect(mappingOf([{ index: 0, header: '电话', field: 'phone' }, { index: 1, header: '电话', field: '' }]))
      .toEqual({ 电话: 'phone' })
  })

  it('names fields in Chinese', () => {
    expect(fieldLabel('phone')).toBe('手机号')
    expect(fieldLabel('')).toBe('不导入')
  })
})
