// The people a desk page works with: everyone in the caller's sight (names of owners), the
// active consultants among them (who may receive customers), and the caller's projects.
import { computed, ref } from 'vue'
import * as usersApi from '@/api/users'
import type { DirectoryUser } from '@/api/users'
import { myProjects, type Project } from '@/api/projects'

export function useTeam() {
  const people = ref<DirectoryUser[]>([])
  const projects = ref<Project[]>([])
  const names = computed(() => Object.fromEntries(people.value.map((u) => [u.id, u.name])))
  const projectNames = computed(() => Object.fromEntries(projects.value.map((p) => [p.id, p.name])))
  const consultants = computed(() => people.value.filter((u) => u.active && u.role === 'consultant'))

  async function load(): Promise<void> {
    const [found, mine] = await Promise.all([usersApi.everyone(), myProjects()])
    people.value = found
    projects.value = mine
  }
  return { people, projects, names, projectNames, consultants, load }
}
