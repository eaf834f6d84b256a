/**
 * Generated iSpring accounts for the permission properties: a department tree of 1..12
 * departments, 3 groups, 2..25 users of every role (scoped roles managing up to three
 * departments, one in ten inactive), and the brute-force scope of a caller.
 */
import fc from 'fast-check'
import { subtreeOf } from './support.js'

export const ROLES = ['owner', 'administrator', 'author', 'learner', 'department_administrator', 'publisher', 'custom'] as const
export type Role = typeof ROLES[number]
export const SCOPED: ReadonlySet<Role> = new Set(['department_administrator', 'publisher', 'custom'])

export const dept = (i: number): string => `d7000000-0000-4000-8000-${String(i).padStart(12, '0')}`
export const grp = (i: number): string => `e7000000-0000-4000-8000-${String(i).padStart(12, '0')}`
export const usr = (i: number): string => `a7000000-0000-4000-8000-${String(i).padStart(12, '0')}`

export interface User { userId: string, login: string, email: string, password: string, firstName: string, lastName: string, role: Role, departmentId: string, state: string, groups: string[], manageableDepartmentIds?: string[] }
export interface Account { departments: Array<{ id: string, name: string, parentId?: string }>, groups: Array<{ id: string, name: string }>, users: User[] }

export const account: fc.Arbitrary<Account> = fc.integer({ min: 1, max: 12 }).chain((count) =>
  fc.tuple(...Array.from({ length: count - 1 }, (_v, i) => fc.nat({ max: i }))).chain((parents) => {
    const departments = [{ id: dept(0), name: 'Root' }, ...parents.map((p, i) => ({ id: dept(i + 1), name: `D${i + 1}`, parentId: dept(p) }))]
    const groupCount = 3
    const row = (i: number) => fc.record({
      role: fc.constantFrom(...ROLES, 'learner', 'department_administrator', 'publisher'),
      department: fc.nat({ max: count - 1 }),
      managed: fc.uniqueArray(fc.nat({ max: count - 1 }), { maxLength: 3 }),
      groups: fc.uniqueArray(fc.nat({ max: groupCount - 1 }), { maxLength: 2 }),
      inactive: fc.nat({ max: 9 }).map((n) => n === 0)
    }).map((r): User => ({
      userId: usr(i),
      login: `user${i}`,
      email: `user${i}@perm.test`,
      password: `pw${i}`,
      firstName: 'U',
      lastName: String(i),
      role: r.role as Role,
      departmentId: dept(r.department),
      state: r.inactive ? 'inactive' : 'active',
      groups: r.groups.map(grp),
      ...(SCOPED.has(r.role as Role) ? { manageableDepartmentIds: r.managed.map(dept) } : {})
    }))
    return fc.integer({ min: 2, max: 25 }).chain((userCount) => fc.tuple(...Array.from({ length: userCount }, (_v, i) => row(i))).map((users) => ({
      departments,
      groups: Array.from({ length: groupCount }, (_v, i) => ({ id: grp(i), name: `G${i}` })),
      users
    })))
  }))

export const subtree = (a: Account, id: string): Set<string> => subtreeOf(a.departments, id)

/** Departments a caller may see; undefined for every department. */
export function scopeOf (a: Account, caller: User): Set<string> | undefined {
  if (!SCOPED.has(caller.role)) return undefined
  return new Set((caller.manageableDepartmentIds ?? []).flatMap((d) => [...subtree(a, d)]))
}
