/**
 * iSpring's two ways in: access tokens from `POST /api/v3/token` (client credentials, 1800 s on
 * the mock clock, sent as `Authorization: Bearer <t>` or the bare token) and the legacy
 * `X-Auth-Account-Url` / `X-Auth-Email` / `X-Auth-Password` headers. Each API client acts as one
 * user of its account, so both ways end in a user whose role and scope govern the request.
 * https://ispringhelpdocs.com/display/ispringlearn/Access+Token
 *
 * Access tokens are stateless: HMAC-signed (with SECRET) and carrying the account, its instance
 * epoch, the client, the user it acts as and the expiry, so any replica accepts any replica's
 * token. They die with their data: an expired token, a deleted or re-created account (another
 * epoch), a client removed or a user no longer active is a 401.
 */
import { randomBytes } from 'node:crypto'
import { fromBase64UrlStrict, hmac, sameBytes, toBase64Url } from '../../core/encoding.js'
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

/**
 * An access token is 32 bytes, 43 base64url characters as the vendor's: 22 bytes of claims
 * (account and client as 4-byte keyed hashes, the account's epoch and the expiry in mock ms as
 * 6 bytes each, a 2-byte nonce), masked, then a 10-byte MAC of them. The acting user is the
 * client's own (`actsAs`), looked up at each request.
 */
const CLAIM_BYTES = 22
const MAC_BYTES = 10
/** Remembered token claims and id hashes, each map emptied when it reaches this size. */
const MEMO_SIZE = 10_000

interface TokenClaims { account: number, epoch: number, client: number, expiresAt: number }

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
  readonly #key: string
  readonly #shorts = new Map<string, number>()
  readonly #verified = new Map<string, TokenClaims>()
  #accountsVersion = -1
  #accounts = new Map<number, Tenant<IspringAccount>>()
  #clientsVersion = -1
  #clients = new Map<string, Tenant<IspringAccount>[]>()

  constructor (app: FastifyInstance) {
    this.#app = app
    this.#key = hmac(app.mock.config.secret, 'ispring-access-token').toString('base64')
  }

  /** A 4-byte keyed hash naming an account or a client inside a token (remembered: ids are few). */
  #short (kind: string, id: string): number {
    const name = `${kind}\0${id}`
    let hash = this.#shorts.get(name)
    if (hash === undefined) {
      if (this.#shorts.size >= MEMO_SIZE) this.#shorts.clear()
      hash = hmac(this.#key, kind, id).readUInt32BE(0)
      this.#shorts.set(name, hash)
    }
    return hash
  }

  /** The claims masked with a pad drawn from their MAC, so tokens look random (a SIV-style construction). */
  #mask (claims: Buffer, mac: Buffer): Buffer {
    const pad = hmac(this.#key, 'pad', mac.toString('base64'))
    const out = Buffer.alloc(CLAIM_BYTES)
    for (let i = 0; i < CLAIM_BYTES; i++) out[i] = (claims[i] as number) ^ (pad[i] as number)
    return out
  }

  #issue (tenant: Tenant<IspringAccount>, clientId: string, expiresAt: number): string {
    const claims = Buffer.alloc(CLAIM_BYTES)
    claims.writeUInt32BE(this.#short('account', tenant.id), 0)
    claims.writeUIntBE(tenant.epoch, 4, 6)
    claims.writeUInt32BE(this.#short('client', clientId), 10)
    claims.writeUIntBE(expiresAt, 14, 6)
    randomBytes(2).copy(claims, 20)
    const mac = hmac(this.#key, 'mac', claims.toString('base64')).subarray(0, MAC_BYTES)
    return toBase64Url(Buffer.concat([this.#mask(claims, mac), mac]))
  }

  /** The claims of a token this mock (or a replica sharing its SECRET) issued, or undefined; a token's claims never change, so they are remembered. */
  #claims (token: string): TokenClaims | undefined {
    const known = this.#verified.get(token)
    if (known !== undefined) return known
    const claims = this.#verify(token)
    if (claims !== undefined) {
      if (this.#verified.size >= MEMO_SIZE) this.#verified.clear()
      this.#verified.set(token, claims)
    }
    return claims
  }

  #verify (token: string): TokenClaims | undefined {
    if (token.length !== 43) return undefined
    const bytes = fromBase64UrlStrict(token)
    if (bytes?.length !== CLAIM_BYTES + MAC_BYTES) return undefined
    const mac = bytes.subarray(CLAIM_BYTES)
    const claims = this.#mask(bytes.subarray(0, CLAIM_BYTES), mac)
    if (!sameBytes(mac, hmac(this.#key, 'mac', claims.toString('base64')).subarray(0, MAC_BYTES))) return undefined
    return { account: claims.readUInt32BE(0), epoch: claims.readUIntBE(4, 6), client: claims.readUInt32BE(10), expiresAt: claims.readUIntBE(14, 6) }
  }

  /** The account a token's hash names, among the current accounts. */
  #accountOf (hash: number): Tenant<IspringAccount> | undefined {
    if (this.#accountsVersion !== this.#store.version) {
      this.#accounts = new Map(this.#store.list<IspringAccount>(VENDOR).map((t) => [this.#short('account', t.id), t]))
      this.#accountsVersion = this.#store.version
    }
    return this.#accounts.get(hash)
  }

  get #store () { return this.#app.mock.store }
  get #clock () { return this.#app.mock.clock }

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

  /** The account's directory, with the schedules due by the mock clock made to happen first. */
  #directoryOf (tenant: Tenant<IspringAccount>): Directory {
    const directory = tenant.data.directory
    directory.settle(this.#clock.now())
    return directory
  }

  #activeUser (tenant: Tenant<IspringAccount>, userId: string): IspringUser | undefined {
    const directory = this.#directoryOf(tenant)
    const position = directory.positionOf(userId)
    const user = position === undefined ? undefined : directory.users[position]
    return user?.state === 'active' ? user : undefined
  }

  /** The account and acting user of the request's credentials, or undefined (401). */
  authenticate (request: FastifyRequest): Authenticated | undefined {
    const authorization = header(request, 'authorization')
    if (authorization !== undefined) {
      const match = /^(?:bearer\s+)?(\S+)$/i.exec(authorization)
      const claims = match === null ? undefined : this.#claims(match[1] as string)
      if (claims === undefined || claims.expiresAt <= this.#clock.now()) return undefined
      const tenant = this.#accountOf(claims.account)
      if (tenant === undefined || tenant.epoch !== claims.epoch) return undefined
      const client = [...tenant.data.apiClients.keys()].find((id) => this.#short('client', id) === claims.client)
      if (client === undefined) return undefined
      if (this.#namesOther(request, tenant)) return undefined
      const user = this.#activeUser(tenant, (tenant.data.apiClients.get(client) as { actsAs: string }).actsAs)
      return user === undefined ? undefined : { tenant, user }
    }
    const tenant = this.#headerAccount(request)
    const login = header(request, 'x-auth-email')
    const password = request.headers['x-auth-password']
    if (tenant === undefined || tenant === null || login === undefined || typeof password !== 'string' || password === '') return undefined
    if (this.#namesOther(request, tenant)) return undefined
    const user = this.#directoryOf(tenant).byLoginOrEmail(login)
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

    const expiresAt = this.#clock.now() + TOKEN_SECONDS * 1000
    const token = this.#issue(tenant, (clientId as string).toLowerCase(), expiresAt)
    const format = formatOf(request)
    return sendFormatted(reply, 200, format, responseBody(format, { access_token: token, expires_in: TOKEN_SECONDS, token_type: 'bearer' }))
  }
}
