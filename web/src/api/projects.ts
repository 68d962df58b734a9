import { get } from './http'

export interface Project { id: string; name: string; city: string }

let cached: Promise<Project[]> | null = null

// The projects the signed-in user works in, with names (asked once per page load).
export function myProjects(): Promise<Project[]> {
  cached ??= get<{ items: Project[] }>('/api/me/projects').then((r) => r.items).catch((e) => {
    cached = null
    throw e
  })
  return cached
}
