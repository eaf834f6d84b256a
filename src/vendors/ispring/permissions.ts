/**
 * Who may read iSpring's user directory, and which part of it. The role table of the "Getting a
 * List of Users" page: owners, administrators and authors see every user; department
 * administrators, publishers and custom roles only the departments they manage with all their
 * sub-departments; learners nothing (403).
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users+Page-by-Page
 */

export const ROLES = ['owner', 'administrator', 'department_administrator', 'publisher', 'author', 'learner', 'custom'] as const
export type Role = typeof ROLES[number]

/**
 * Built-in role ids. Owner and administrator are the vendor's own global constants (its doc
 * sample and a client fixture agree); the others are fixed by the mock, in the same style.
 */
export const ROLE_IDS: Record<Role, string> = {
  owner: 'eaefe76e-2ae1-11e9-b90a-0242ac13000a',
  administrator: 'eaf01662-2ae1-11e9-aa24-0242ac13000a',
  department_administrator: 'eaf0a1b4-2ae1-11e9-8d3c-0242ac13000a',
  publisher: 'eaf12d6e-2ae1-11e9-9a4f-0242ac13000a',
  author: 'eaf1b8c2-2ae1-11e9-b1e5-0242ac13000a',
  learner: 'eaf24416-2ae1-11e9-a7d2-0242ac13000a',
  /** Used for a `custom` user whose fixture names no role of `customRoles`. */
  custom: 'eaf2cf6a-2ae1-11e9-8c61-0242ac13000a'
}

/** Roles whose view is limited to their managed departments (and sub-departments). */
export const SCOPED_ROLES: ReadonlySet<Role> = new Set(['department_administrator', 'publisher', 'custom'])

/** Roles that may call the directory endpoints at all. */
export function canReadDirectory (role: Role): boolean {
  return role !== 'learner'
}

/** What a caller may see: everything, or the users of a set of departments. */
export type Scope =
  | { all: true, key: 'all' }
  | {
    all: false
    /** Stable text naming the scope (sorted managed department ids), part of page-token bindings. */
    key: string
    /** The managed departments, sorted. */
    managed: readonly string[]
    /** Every department in scope: the managed ones and all their descendants. */
    departments: ReadonlySet<string>
  }

export const FULL_SCOPE: Scope = { all: true, key: 'all' }

/**
 * The scope of a user of `role` managing `managed`; `descendants` gives a department's subtree
 * (itself included).
 */
export function scopeOf (role: Role, managed: readonly string[], descendants: (id: string) => ReadonlySet<string>): Scope {
  if (!SCOPED_ROLES.has(role)) return FULL_SCOPE
  const sorted = [...new Set(managed)].sort()
  const departments = new Set<string>()
  for (const id of sorted) for (const d of descendants(id)) departments.add(d)
  return { all: false, key: sorted.join(','), managed: sorted, departments }
}

export function departmentInScope (scope: Scope, departmentId: string): boolean {
  return scope.all || scope.departments.has(departmentId)
}
