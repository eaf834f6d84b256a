/**
 * The records of one iSpring account, indexed once: users in creation order (a user's position
 * is its creation sequence number: the order of every listing and what page tokens point at), by
 * id, login and email, by department (with subtrees) and by group; derived position lists
 * (filters, scopes) memoized until the next change. Records are never changed in place: a
 * change replaces the object, so whatever is cached by record identity stays right.
 * https://ispringhelpdocs.com/display/ispringlearn/Getting+a+List+of+Users+Page-by-Page
 */
import { setBounded } from '../../core/bounded.js'
import type { Department, Group, IspringUser } from './model.js'
import type { Steps } from '../../core/steps.js'
import { DirectoryVersion } from '../../core/page-cache.js'
import { unionSorted } from '../../core/positions.js'
import { SCOPED_ROLES, scopeOf, type Scope } from './permissions.js'

const QUERY_CACHE_SIZE = 128

function pushTo (index: Map<string, number[]>, key: string, position: number): void {
  const list = index.get(key)
  if (list === undefined) index.set(key, [position])
  else list.push(position)
}

/** Removes `position` from, or inserts it into, an ascending index list. */
function removeFrom (index: Map<string, number[]>, key: string, position: number): void {
  const list = index.get(key)
  const at = list?.indexOf(position) ?? -1
  if (list !== undefined && at !== -1) list.splice(at, 1)
}
function insertInto (index: Map<string, number[]>, key: string, position: number): void {
  const list = index.get(key)
  if (list === undefined) { index.set(key, [position]); return }
  let at = list.length
  while (at > 0 && (list[at - 1] as number) > position) at--
  if (list[at - 1] !== position) list.splice(at, 0, position)
}

/**
 * Users are only ever appended; `replace` puts a new object in a user's place and `remove`
 * leaves a tombstone: positions never move, so page tokens stay exact across deletions.
 */
export class Directory {
  departments: readonly Department[]
  groups: readonly Group[]
  readonly users: IspringUser[] = []
  /** Moves on every change: cached pages of an older version are never served. */
  readonly version = new DirectoryVersion()
  #departmentById = new Map<string, number>()
  #groupById = new Map<string, number>()
  #descendants = new Map<string, ReadonlySet<string>>()
  readonly #byId = new Map<string, number>()
  readonly #byLogin = new Map<string, number>()
  readonly #byEmail = new Map<string, number>()
  readonly #byDepartment = new Map<string, number[]>()
  readonly #byGroup = new Map<string, number[]>()
  #subtrees = new Map<string, readonly number[]>()
  #queries = new Map<string, readonly number[]>()
  readonly #scopes = new Map<string, Scope>()
  /** Positions of removed users (their records stay in `users`, out of every index). */
  readonly #removed = new Set<number>()
  /** Positions of users with a scheduled deactivation or termination, and the earliest such day. */
  readonly #scheduled = new Set<number>()
  /** Start (UTC, epoch ms) of the earliest scheduled day, or undefined with nothing scheduled. */
  #nextDueMs: number | undefined
  #live: readonly number[] | undefined

  constructor (departments: Department[], groups: Group[], users: IspringUser[]) {
    this.departments = departments
    this.groups = groups
    this.#index()
    for (const u of users) this.add(u)
  }

  /** Puts a new department tree and group list in place (a checked write): everything derived from them is rebuilt. */
  restructure (departments: readonly Department[], groups: readonly Group[]): void {
    this.departments = departments
    this.groups = groups
    this.#index()
    this.#scopes.clear()
    this.#changed()
  }

  #index (): void {
    this.#departmentById = new Map(this.departments.map((d, i) => [d.id, i]))
    this.#groupById = new Map(this.groups.map((g, i) => [g.id, i]))
    this.#descendants = new Map(this.departments.map((d) => [d.id, new Set<string>()]))
    for (const d of this.departments) {
      let current: Department | undefined = d
      for (let hops = 0; current !== undefined && hops <= this.departments.length; hops++) {
        (this.#descendants.get(current.id) as Set<string>).add(d.id)
        current = current.parentId === undefined ? undefined : this.department(current.parentId)
      }
    }
  }

  /** Positions of the users of exactly this department (not its sub-departments). */
  departmentUsers (departmentId: string): readonly number[] {
    return this.#byDepartment.get(departmentId) ?? []
  }

  /** The same directory made in steps (a yield every thousand users), for big generated accounts. */
  static * build (departments: Department[], groups: Group[], users: IspringUser[]): Steps<Directory> {
    const directory = new Directory(departments, groups, [])
    for (let i = 0; i < users.length; i++) {
      if (i % 1000 === 999) yield
      directory.add(users[i] as IspringUser)
    }
    return directory
  }

  department (id: string): Department | undefined {
    const i = this.#departmentById.get(id)
    return i === undefined ? undefined : this.departments[i]
  }

  departmentPosition (id: string): number | undefined {
    return this.#departmentById.get(id)
  }

  group (id: string): Group | undefined {
    const i = this.#groupById.get(id)
    return i === undefined ? undefined : this.groups[i]
  }

  /** A department and all its sub-departments (empty for an unknown id). */
  descendants (id: string): ReadonlySet<string> {
    return this.#descendants.get(id) ?? new Set()
  }

  positionOf (userId: string): number | undefined {
    return this.#byId.get(userId.toLowerCase())
  }

  positionOfLogin (login: string): number | undefined {
    return this.#byLogin.get(login.toLowerCase())
  }

  positionOfEmail (email: string): number | undefined {
    return this.#byEmail.get(email.toLowerCase())
  }

  /** The user whose login or email this is (X-Auth-Email accepts either). */
  byLoginOrEmail (text: string): IspringUser | undefined {
    const position = this.positionOfLogin(text) ?? this.positionOfEmail(text)
    return position === undefined ? undefined : this.users[position]
  }

  /** Positions of the users of a department and all its sub-departments, ascending. */
  subtreeUsers (departmentId: string): readonly number[] {
    let list = this.#subtrees.get(departmentId)
    if (list === undefined) {
      const lists = [...this.descendants(departmentId)].map((d) => this.#byDepartment.get(d) ?? [])
      const all = lists.length === 1 ? [...(lists[0] as number[])] : lists.flat().sort((a, b) => a - b)
      list = all
      this.#subtrees.set(departmentId, list)
    }
    return list
  }

  groupUsers (groupId: string): readonly number[] {
    return this.#byGroup.get(groupId) ?? []
  }

  /** The scope of a caller, memoized by managed departments (departments never change). */
  scope (user: IspringUser): Scope {
    if (!SCOPED_ROLES.has(user.role)) return scopeOf(user.role, [], () => new Set())
    const key = [...user.manageableDepartmentIds].sort().join(',')
    let scope = this.#scopes.get(key)
    if (scope === undefined) {
      scope = scopeOf(user.role, user.manageableDepartmentIds, (id) => this.descendants(id))
      this.#scopes.set(key, scope)
    }
    return scope
  }

  /** Positions of the users a scoped caller may see, ascending; undefined for a full scope. */
  scopeUsers (scope: Scope): readonly number[] | undefined {
    if (scope.all) return undefined
    return this.memo(`scope|${scope.key}`, () => unionSorted(scope.managed.map((d) => this.subtreeUsers(d))))
  }

  /** A derived position list, cached until the next change of the directory. */
  memo (key: string, compute: () => readonly number[]): readonly number[] {
    let list = this.#queries.get(key)
    if (list === undefined) {
      list = setBounded(this.#queries, key, compute(), QUERY_CACHE_SIZE)
    }
    return list
  }

  /** How many users exist (removed ones not counted). */
  get count (): number {
    return this.users.length - this.#removed.size
  }

  isRemoved (position: number): boolean {
    return this.#removed.has(position)
  }

  /** Positions of every existing user, ascending; undefined when none was ever removed (then every position). */
  live (): readonly number[] | undefined {
    if (this.#removed.size === 0) return undefined
    if (this.#live === undefined) {
      const live: number[] = []
      for (let p = 0; p < this.users.length; p++) if (!this.#removed.has(p)) live.push(p)
      this.#live = live
    }
    return this.#live
  }

  /** Every existing user, in creation order. */
  * existing (): Generator<IspringUser> {
    for (let p = 0; p < this.users.length; p++) if (!this.#removed.has(p)) yield this.users[p] as IspringUser
  }

  /** Removes the user at `position` from every index; the record stays as a tombstone. */
  remove (position: number): void {
    const user = this.users[position] as IspringUser
    if (this.#removed.has(position)) return
    this.#removed.add(position)
    this.#track(position, { ...user, scheduledDeactivationDate: undefined, scheduledTerminationDate: undefined })
    this.#byId.delete(user.userId)
    this.#byLogin.delete(user.login.toLowerCase())
    this.#byEmail.delete(user.email.toLowerCase())
    removeFrom(this.#byDepartment, user.departmentId, position)
    for (const g of user.groups) removeFrom(this.#byGroup, g, position)
    this.#changed()
  }

  /**
   * Makes the schedules due on `today` (YYYY-MM-DD of the mock clock) happen: a termination ends
   * the employment, a deactivation makes the user inactive; a schedule that happened is cleared.
   * Every replica has the same schedules and the same clock, so every replica settles alike.
   */
  settle (nowMs: number): void {
    // On every request: one comparison unless a schedule is due.
    if (this.#nextDueMs === undefined || this.#nextDueMs > nowMs) return
    const today = new Date(nowMs).toISOString().slice(0, 10)
    for (const position of [...this.#scheduled]) {
      const user = this.users[position] as IspringUser
      const terminate = user.scheduledTerminationDate !== undefined && user.scheduledTerminationDate <= today
      const deactivate = user.scheduledDeactivationDate !== undefined && user.scheduledDeactivationDate <= today
      if (!terminate && !deactivate) continue
      const state = terminate ? 'employment_ended' : user.state === 'employment_ended' ? user.state : 'inactive'
      this.replace(position, {
        ...user,
        state,
        scheduledTerminationDate: terminate ? undefined : user.scheduledTerminationDate,
        scheduledDeactivationDate: deactivate ? undefined : user.scheduledDeactivationDate
      })
    }
  }

  #track (position: number, user: IspringUser): void {
    const had = this.#scheduled.has(position)
    const has = user.scheduledDeactivationDate !== undefined || user.scheduledTerminationDate !== undefined
    if (!had && !has) return
    if (has) this.#scheduled.add(position)
    else this.#scheduled.delete(position)
    let next: string | undefined
    for (const p of this.#scheduled) {
      const u = this.users[p] as IspringUser
      for (const day of [u.scheduledDeactivationDate, u.scheduledTerminationDate]) if (day !== undefined && (next === undefined || day < next)) next = day
    }
    this.#nextDueMs = next === undefined ? undefined : Date.parse(`${next}T00:00:00Z`)
  }

  /** Appends a user; returns its position. */
  add (user: IspringUser): number {
    const position = this.users.length
    this.users.push(user)
    this.#track(position, user)
    this.#byId.set(user.userId, position)
    this.#byLogin.set(user.login.toLowerCase(), position)
    this.#byEmail.set(user.email.toLowerCase(), position)
    pushTo(this.#byDepartment, user.departmentId, position)
    for (const g of user.groups) pushTo(this.#byGroup, g, position)
    this.#changed()
    return position
  }

  /** Puts a new user object at `position` (same userId): the affected index entries change. */
  replace (position: number, user: IspringUser): void {
    const old = this.users[position] as IspringUser
    this.users[position] = user
    this.#track(position, user)
    this.#byLogin.delete(old.login.toLowerCase())
    this.#byEmail.delete(old.email.toLowerCase())
    this.#byLogin.set(user.login.toLowerCase(), position)
    this.#byEmail.set(user.email.toLowerCase(), position)
    if (old.departmentId !== user.departmentId) {
      removeFrom(this.#byDepartment, old.departmentId, position)
      insertInto(this.#byDepartment, user.departmentId, position)
    }
    for (const g of old.groups) if (!user.groups.includes(g)) removeFrom(this.#byGroup, g, position)
    for (const g of user.groups) if (!old.groups.includes(g)) insertInto(this.#byGroup, g, position)
    this.#changed()
  }

  #changed (): void {
    this.version.bump()
    this.#live = undefined
    if (this.#subtrees.size > 0) this.#subtrees = new Map()
    if (this.#queries.size > 0) this.#queries = new Map()
  }
}
