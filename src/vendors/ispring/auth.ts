/**
 * iSpring's two ways in: access tokens from `POST /api/v3/token` (client credentials, 1800 s on
 * the mock clock, sent as `Authorization: Bearer <t>` or the bare token) and the legacy
 * `X-Auth-Account-Url` / `X-Auth-Email` / `X-Auth-Password` headers. Each API client acts as one
 * user of its account, so both ways end in a user whose role and scope govern the request.
 * https://ispringhelpdocs.com/display/ispringlearn/Access+Token
 */
import { randomBytes } from 'node:crypto'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { hostName, isHostRouted } from '../../core/routing.js'
import type { Caller as CoreCaller } from '../../core/context.js'
import type { Tenant } from '../../core/tenants.js'
import { normalizeAccountUrl, type IspringAccount } from './account.js'
import type { IspringUser } from './model.js'
import type { Directory } from './directory.js'
import { sendBadRequest, sendError } from './errors.js'
import { formatOf, responseBody, sendFormatted } from './format.js'
import { canReadDirectory, type Scope } from './permissions.js'
import { UNSUPPORTED_BODY, type FormBody } from '../../core/form-body.js'

export const TOKEN_SECONDS = 1800
export const FORM_BODY_LIMIT = 64 * 1024
const VENDOR = 'ispring'

/** What the catch-all body parser hands a route for a body that is not a form. */
export type TokenBody = FormBody

export interface Caller extends CoreCaller {
  tenant: Tenant<IspringAccount>
  account: IspringAccount
  directory: Directory
  user: IspringUser
  scope: Scope
}

interface Authenticated { tenant: Tenant<IspringAccount>, user: IspringUser }

/** The caller the `authenticated` hook found (only on routes that run it). */
export const callerOf = (request: FastifyRequest): Caller => request.caller as Caller

function header (request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name]
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined
}

function formValue (form: Record<string, unknown>, name: string): string | undefined {
  const raw = form[name]
  const value = Array.isArray(raw) ? raw[0] : raw
  return typeof value === 'string' && value !== '' ? value : undefined
}

export class IspringAuth {
  readonly #app: FastifyInstance
  /** Token → its account's tenant; the account's own token map stays the source of truth. */
  readonly #index = new Map<string, Tenant<IspringAccount>>()
  #clientsVersion = -1
  #clients = new Map<string, Tenant<IspringAccount>[]>()

  constructor (app: FastifyInstance) {
    this.#app = app
  }

  get #store () { return this.#app.mock.store }
  get #clock () { return this.#app.mock.clock }

  /** The tenant is still the one the store serves (not reset, deleted or replaced). */
  #current (tenant: Tenant<IspringAccount>): boolean {
    return this.#store.get(VENDOR, tenant.id) === tenant
  }

  /** X-Auth-Account-Url's account: undefined without the header, null when it names none. */
  #headerAccount (request: FastifyRequest): Tenant<IspringAccount> | undefined | null {
    const url = header(request, 'x-auth-account-url')
    return url === undefined ? undefined : this.#store.byKey<IspringAccount>(VENDOR, normalizeAccountUrl(url)) ?? null
  }

  /** The account whose own domain the request was Host-routed to (not a shared API host). */
  #hostAccount (request: FastifyRequest): Tenant<IspringAccount> | undefined {
    if (!isHostRouted(request)) return undefined
    const host = hostName(request.headers.host)
    return this.#store.byKey<IspringAccount>(VENDOR, `https://${host}`) ?? this.#store.byKey<IspringAccount>(VENDOR, `http://${host}`)
  }

  /** True when X-Auth-Account-Url or the Host names an account other than `tenant`. */
  #namesOther (request: FastifyRequest, tenant: Tenant<IspringAccount>): boolean {
    const named = this.#headerAccount(request)
    const byHost = this.#hostAccount(request)
    return (named !== undefined && named !== tenant) || (byHost !== undefined && byHost !== tenant)
  }

  #activeUser (tenant: Tenant<IspringAccount>, userId: string): IspringUser | undefined {
    const directory = tenant.data.directory
    const position = directory.positionOf(userId)
    const user = position === undefined ? undefined : directory.users[position]
    return user?.state === 'active' ? user : undefined
  }

  /** The account and acting user of the request's credentials, or undefined (401). */
  authenticate (request: FastifyRequest): Authenticated | undefined {
    const authorization = header(request, 'authorization')
    if (authorization !== undefined) {
      const match = /^(?:bearer\s+)?(\S+)$/i.exec(authorization)
      const token = match?.[1] as string
      const tenant = match === null ? undefined : this.#index.get(token)
      if (tenant === undefined || !this.#current(tenant)) return undefined
      const entry = tenant.data.tokens.get(token)
      if (entry === undefined || entry.expiresAt <= this.#clock.now()) return undefined
      if (this.#namesOther(request, tenant)) return undefined
      const user = this.#activeUser(tenant, entry.userId)
      return user === undefined ? undefined : { tenant, user }
    }
    const tenant = this.#headerAccount(request)
    const login = header(request, 'x-auth-email')
    const password = request.headers['x-auth-password']
    if (tenant === undefined || tenant === null || login === undefined || typeof password !== 'string' || password === '') return undefined
    if (this.#namesOther(request, tenant)) return undefined
    const user = tenant.data.directory.byLoginOrEmail(login)
    if (user === undefined || user.password !== password || user.state !== 'active') return undefined
    return { tenant, user }
  }

  /**
   * The preHandler of every directory route: authenticates (401), tells the control plane which
   * tenant this is (journal, tenant-matched faults), checks that the role may read the directory
   * (403), and sets the caller the handlers start from.
   */
  readonly authenticated = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const found = this.authenticate(request)
    if (found === undefined) return sendError(request, reply, 401)
    if (await this.#app.identify(request, reply, found.tenant.id)) return reply
    if (!canReadDirectory(found.user.role)) return sendError(request, reply, 403)
    const directory = found.tenant.data.directory
    const caller: Caller = { tenant: found.tenant, account: found.tenant.data, directory, user: found.user, scope: directory.scope(found.user) }
    request.caller = caller
    return undefined
  }

  /** Lower-case client id → the accounts that list it, rebuilt when tenants come or go. */
  #accountsOfClient (clientId: string): Tenant<IspringAccount>[] {
    if (this.#clientsVersion !== this.#store.version) {
      this.#clients = new Map()
      for (const tenant of this.#store.list<IspringAccount>(VENDOR)) {
        for (const id of tenant.data.apiClients.keys()) {
          const list = this.#clients.get(id)
          if (list === undefined) this.#clients.set(id, [tenant])
          else list.push(tenant)
        }
      }
      this.#clientsVersion = this.#store.version
    }
    return this.#clients.get(clientId) ?? []
  }

  async token (request: FastifyRequest<{ Body: TokenBody | undefined }>, reply: FastifyReply): Promise<FastifyReply> {
    const type = String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase()
    if (type !== 'application/x-www-form-urlencoded' || request.body === UNSUPPORTED_BODY) {
      return sendBadRequest(request, reply, 'the body must be application/x-www-form-urlencoded with client_id, client_secret and grant_type')
    }
    const form = request.body ?? {}
    const clientId = formValue(form, 'client_id')
    const secret = formValue(form, 'client_secret')
    const grantType = formValue(form, 'grant_type')
    for (const [name, value] of [['client_id', clientId], ['client_secret', secret], ['grant_type', grantType]] as const) {
      if (value === undefined) return sendBadRequest(request, reply, `${name} is required`)
    }
    if (grantType !== 'client_credentials') return sendBadRequest(request, reply, 'grant_type must be client_credentials')
    let candidates = this.#accountsOfClient((clientId as string).toLowerCase())
    const named = this.#headerAccount(request) ?? this.#hostAccount(request)
    if (named !== undefined) candidates = candidates.filter((t) => t === named)
    const tenant = candidates.find((t) => t.data.apiClients.get((clientId as string).toLowerCase())?.clientSecret === secret)
    if (tenant === undefined) return sendError(request, reply, 401)
    if (await this.#app.identify(request, reply, tenant.id)) return reply
    const client = tenant.data.apiClients.get((clientId as string).toLowerCase())
    const user = client === undefined ? undefined : this.#activeUser(tenant, client.actsAs)
    if (user === undefined) return sendError(request, reply, 401)

    const now = this.#clock.now()
    const token = randomBytes(32).toString('base64url')
    tenant.data.addToken(token, { userId: user.userId, expiresAt: now + TOKEN_SECONDS * 1000 }, now)
    this.#pruneIndex(now)
    this.#index.set(token, tenant)
    const format = formatOf(request)
    return sendFormatted(reply, 200, format, responseBody(format, { access_token: token, expires_in: TOKEN_SECONDS, token_type: 'bearer' }))
  }

  /** Drops index entries from the oldest on while they are dead (expired, tenant gone); live ones are never dropped. */
  #pruneIndex (now: number): void {
    for (const [token, tenant] of this.#index) {
      const entry = tenant.data.tokens.get(token)
      if (entry !== undefined && entry.expiresAt > now && this.#current(tenant)) break
      this.#index.delete(token)
    }
  }
}
