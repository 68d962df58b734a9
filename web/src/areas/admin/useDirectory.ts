// The company's teams and projects in the caller's sight, by id, for names and pickers on
// the admin pages (one request each per page visit).
import { reactive } from 'vue'
import * as teamsApi from '@/api/teams'
import * as projectsApi from '@/api/directoryProjects'
import type { Team } from '@/api/teams'
import type { DirectoryProject } from '@/api/directoryProjects'

export function useDirectory() {
  const directory = reactive({ teams: [] as Team[], projects: [] as DirectoryProject[],
    teamNames: {} as Record<string, string>, projectNames: {} as Record<string, string> })

  async function load(): Promise<void> {
    const [teams, projects] = await Promise.all([
      teamsApi.list({ page_size: 200 }), projectsApi.list({ page_size: 200 })])
    directory.teams = teams.items
    directory.projects = projects.items
    directory.teamNames = Object.fromEntries(teams.items.map((t) => [t.id, t.name]))
    directory.projectNames = Object.fromEntries(projects.items.map((p) => [p.id, p.name]))
  }
  return { directory, load }
}
