/**
 * TypeBox schemas of the Concur module: the tenant fixture file and the documented request and
 * response shapes (they feed route validation and the OpenAPI document).
 */
import { Type, type Static } from 'typebox'

const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()])
const Uuid = Type.String({ pattern: '^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$' })

export const CompanyBlockSchema = Type.Object({
  name: Type.String(),
  address: Type.String(),
  city: Type.String(),
  state: Type.String(),
  zip: Type.String(),
  country: Type.String()
}, { additionalProperties: false })

/** A user as the API returns it (keys in the seed sample's order). */
export const ConcurUserSchema = Type.Object({
  Active: Type.Boolean(),
  CountryCode: Nullable(Type.String()),
  CellPhoneNumber: Nullable(Type.String()),
  PrimaryEmail: Type.String(),
  EmployeeID: Type.String(),
  ID: Type.String(),
  Emails: Type.Array(Type.String()),
  OrganizationUnit: Nullable(Type.String()),
  MiddleName: Type.String(),
  LastName: Type.String(),
  FirstName: Type.String(),
  LoginID: Type.String()
})
export type ConcurUser = Static<typeof ConcurUserSchema>

/** A user in a fixture file: the API keys, with defaults for the optional ones. */
export const ConcurUserFixtureSchema = Type.Object({
  ID: Type.String({ minLength: 1 }),
  LoginID: Type.String({ minLength: 1 }),
  PrimaryEmail: Type.String(),
  EmployeeID: Type.String({ minLength: 1 }),
  FirstName: Type.String(),
  LastName: Type.String(),
  MiddleName: Type.Optional(Type.String()),
  Active: Type.Optional(Type.Boolean()),
  CountryCode: Type.Optional(Nullable(Type.String({ pattern: '^[A-Za-z]{2}$' }))),
  CellPhoneNumber: Type.Optional(Nullable(Type.String())),
  Emails: Type.Optional(Type.Array(Type.String())),
  OrganizationUnit: Type.Optional(Nullable(Type.String()))
}, { additionalProperties: false })
export type ConcurUserFixture = Static<typeof ConcurUserFixtureSchema>

/** Admin PATCH body: any fixture-user field but ID. */
export const ConcurUserPatchSchema = Type.Omit(Type.Partial(ConcurUserFixtureSchema), ['ID'], { additionalProperties: false })

export const ConcurTenantFileSchema = Type.Object({
  $schema: Type.Optional(Type.String()),
  vendor: Type.Literal('concur'),
  id: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,62}$', description: 'Tenant id (lower-case letters, digits, dashes)' }),
  name: Type.String({ minLength: 1 }),
  description: Type.Optional(Type.String()),
  companyId: Uuid,
  disabled: Type.Optional(Type.Boolean()),
  company: CompanyBlockSchema,
  clients: Type.Array(Type.Object({
    clientId: Type.String({ minLength: 1 }),
    clientSecret: Type.String({ minLength: 1 }),
    scopes: Type.Optional(Type.Array(Type.String({ pattern: '^[!-~]+$' }), {
      uniqueItems: true,
      description: 'The scopes the app holds, listed in its company tokens\' `scope`. Without it: "user.read company.read" and every Identity scope.'
    }))
  }, { additionalProperties: false }), { minItems: 1, description: 'OAuth apps this company has enabled' }),
  requestTokens: Type.Array(Type.Object({
    token: Type.String({ minLength: 1 }),
    clientId: Type.String({ minLength: 1 }),
    issuedAt: Type.Optional(Type.String({ format: 'date-time', description: 'Default: when the mock clock started' })),
    neverExpires: Type.Optional(Type.Boolean())
  }, { additionalProperties: false })),
  users: Type.Optional(Type.Array(ConcurUserFixtureSchema)),
  generate: Type.Optional(Type.Object({
    seed: Type.Integer(),
    users: Type.Integer({ minimum: 0, maximum: 1_000_000 })
  }, { additionalProperties: false }))
}, { additionalProperties: false })
export type ConcurTenantFile = Static<typeof ConcurTenantFileSchema>

export const TokenSuccessSchema = Type.Object({
  expires_in: Type.Integer(),
  scope: Type.String(),
  token_type: Type.Literal('Bearer'),
  access_token: Type.String(),
  refresh_token: Type.String(),
  refresh_expires_in: Type.Integer({ description: 'Epoch seconds of the refresh token expiry' }),
  id_token: Type.String(),
  geolocation: Type.String()
})

export const OAuthErrorSchema = Type.Object({
  error: Type.String(),
  error_description: Type.String(),
  code: Type.Integer()
})

export const MessageErrorSchema = Type.Object({
  Message: Type.String(),
  'Server-Time': Type.String(),
  Id: Type.String()
})

export const UsersPageSchema = Type.Object({
  total: Type.Integer(),
  offset: Type.Integer(),
  limit: Type.Integer(),
  company: CompanyBlockSchema,
  Items: Type.Array(ConcurUserSchema)
})

export const JwksSchema = Type.Object({
  keys: Type.Array(Type.Object({
    kty: Type.Literal('RSA'),
    n: Type.String(),
    e: Type.String(),
    kid: Type.String(),
    use: Type.Literal('sig'),
    alg: Type.Literal('RS256')
  }))
}, { description: 'The public keys of the access and id tokens' })

export const RevokedSchema = Type.Object({}, { additionalProperties: false, description: 'The app\'s tokens for the company are revoked' })

// ---- Identity v4.1 (SCIM 2.0) -------------------------------------------------------------------

/** A SCIM user as answered: `schemas` and `id` always, the rest as projected (see identity.ts). */
export const ScimUserSchema = Type.Object({
  schemas: Type.Array(Type.String()),
  id: Type.String()
}, { additionalProperties: true })

export const ScimListSchema = Type.Object({
  schemas: Type.Array(Type.String()),
  totalResults: Type.Integer(),
  itemsPerPage: Type.Integer(),
  startIndex: Type.Integer(),
  Resources: Type.Array(ScimUserSchema),
  nextCursor: Type.Optional(Type.String({ description: 'Absent on the last page' }))
})

/** The docs' Error Response: `status` is the HTTP status as a string. */
export const ScimErrorSchema = Type.Object({
  schemas: Type.Array(Type.String()),
  status: Type.String(),
  scimType: Type.Optional(Type.String()),
  detail: Type.String()
})

export const ScimSearchRequestSchema = Type.Object({
  schemas: Type.Array(Type.String(), { description: 'Must contain urn:ietf:params:scim:api:messages:concur:2.0:SearchRequest' }),
  filter: Type.Optional(Type.String()),
  count: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  cursor: Type.Optional(Type.String()),
  attributes: Type.Optional(Type.Array(Type.String())),
  excludedAttributes: Type.Optional(Type.Array(Type.String()))
})

/** Identity v4's list: offset paging, in the v4 page's key order. */
export const ScimV4ListSchema = Type.Object({
  schemas: Type.Array(Type.String()),
  totalResults: Type.Integer(),
  startIndex: Type.Integer(),
  itemsPerPage: Type.Integer(),
  Resources: Type.Array(ScimUserSchema)
})
