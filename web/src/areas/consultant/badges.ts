import { reactive } from 'vue'

// The unread notices count the tab bar shows; 今日 and 消息 keep it current.
export const unread = reactive({ count: 0 })
