// Feedback for every action: a toast for success, the API's words for a refusal.
import { showConfirmDialog, showFailToast, showSuccessToast, showToast } from 'vant'
import 'vant/es/toast/style'
import 'vant/es/dialog/style'
import { describe } from '@/api/http'

export const done = (message: string) => showSuccessToast({ message, duration: 1500 })
export const info = (message: string) => showToast({ message, duration: 2000 })
export const failed = (error: unknown) => showFailToast({ message: describe(error), duration: 3000 })

export async function confirm(title: string, message: string): Promise<boolean> {
  try {
    await showConfirmDialog({ title, message, confirmButtonText: '确定', cancelButtonText: '取消' })
    return true
  } catch {
    return false
  }
}
