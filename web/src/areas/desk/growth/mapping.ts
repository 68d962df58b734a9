// The column mapping of an import: which lead field each column of the file is read into.
// The preview answers what the API recognised; the importer changes it with selects, and
// the import is sent the mapping exactly as shown, every column named.
import type { PreviewColumn } from '@/api/imports'

export const FIELD_LABELS: Record<string, string> = {
  name: '姓名', phone: '手机号', channel: '渠道', sub_source: '子来源', note: '备注',
  city: '城市', district: '区域', budget: '预算', budget_min: '最低预算', budget_max: '最高预算',
  layout: '户型', area: '面积', area_min: '最小面积', area_max: '最大面积', purpose: '置业目的',
}
export const IGNORED_LABEL = '不导入'

export const fieldLabel = (field: string) => (field ? FIELD_LABELS[field] ?? field : IGNORED_LABEL)

// Column `index` now reads into `field`; a field is read from one column only, so another
// column that had it is no longer imported (as the API would leave it).
export function assign(columns: PreviewColumn[], index: number, field: string): PreviewColumn[] {
  return columns.map((c) => {
    if (c.index === index) return { ...c, field }
    if (field && c.field === field) return { ...c, field: '' }
    return c
  })
}

// The fields an import needs that no column gives.
export function missing(columns: PreviewColumn[], required = ['name', 'phone']): string[] {
  const given = new Set(columns.map((c) => c.field))
  return required.filter((f) => !given.has(f))
}

// The mapping sent with the import: {header: field}, '' for a column left out. Columns
// without a header are never read; of two columns with one header the API knows the first.
export function mappingOf(columns: PreviewColumn[]): Record<string, string> {
  const mapping: Record<string, string> = {}
  for (const c of columns) {
    if (c.header && !(c.header in mapping)) mapping[c.header] = c.field
  }
  return mapping
}
