// Lead imports (/api/imports): preview a file's columns, start the job, follow it, read
// and download its per-row report.
import { get, request } from './http'

export type ImportField = string // a lead field name (name, phone, ...) or '' = ignored

export interface PreviewColumn { index: number; header: string; field: ImportField }
export interface ImportPreview {
  format: 'xlsx' | 'csv'
  header_row: number
  columns: PreviewColumn[]
  missing: string[]
  fields: string[]
  rows: string[][]
}

export interface ImportAccepted { job_id: string; status: 'queued'; columns: Record<string, string>; ignored_columns: string[] }

export type ImportState = 'queued' | 'running' | 'done' | 'failed'
export interface ImportStatus {
  job_id: string
  project_id: string
  filename: string
  status: ImportState
  total: number
  processed: number
  created: number
  merged: number
  rejected: number
  error: string | null
  columns: Record<string, string>
  ignored_columns: string[]
}

export type Outcome = 'created' | 'merged' | 'rejected'
export interface ReportRow { row: number; outcome: Outcome; reason: string | null; field: string | null; customer_id: string | null }
export interface ImportReport { job_id: string; status: ImportState; total: number; page: number; page_size: number; rows: ReportRow[] }

export interface ImportForm { projectId: string; file: File; mapping?: Record<string, string>; assign?: 'pool' | 'round_robin' }

function formOf({ projectId, file, mapping, assign }: ImportForm): FormData {
  const form = new FormData()
  form.set('project_id', projectId)
  form.set('file', file)
  if (mapping && Object.keys(mapping).length) form.set('mapping', JSON.stringify(mapping))
  if (assign) form.set('assign', assign)
  return form
}

export const preview = (upload: ImportForm) =>
  request<ImportPreview>('POST', '/api/imports/preview', { form: formOf(upload) })
export const start = (upload: ImportForm) =>
  request<ImportAccepted>('POST', '/api/imports', { form: formOf(upload) })
export const status = (jobId: string) => get<ImportStatus>(`/api/imports/${jobId}`)
export const report = (jobId: string, query: { outcome?: Outcome; page?: number; page_size?: number } = {}) =>
  get<ImportReport>(`/api/imports/${jobId}/report`, { ...query })
export const reportXlsxUrl = (jobId: string) => `/api/imports/${jobId}/report.xlsx`
