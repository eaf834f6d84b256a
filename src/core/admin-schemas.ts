/**
 * The admin API's request and response schemas (TypeBox), in a module of their own so that the
 * typed admin client (src/client) derives its types from the very schemas the routes validate
 * and document with, without importing any server code.
 */
import { Type, type Static } from 'typebox'
import { MockErrorSchema } from './error-schema.js'
import { FaultRuleSchema } from './faults.js'

export const ErrorSchema = MockErrorSchema
export const HealthSchema = Type.Object({
  status: Type.Union([Type.Literal('ok'), Type.Literal('degraded')], { description: 'degraded: the shared state store (Redis) is unreachable; reads are served, writes refused' }),
  version: Type.String(),
  uptimeSeconds: Type.Integer(),
  tenants: Type.Record(Type.String(), Type.Integer()),
  state: Type.Optional(Type.Object({
    mode: Type.Literal('redis'),
    replica: Type.String(),
    connected: Type.Boolean(),
    applied: Type.Integer({ description: 'Stream entries applied since this replica started' }),
    lastId: Type.String({ description: 'The last stream entry applied' })
  }, { description: 'Present when replicas share state (STATE_URL)' }))
})
export const TenantSchema = Type.Object({
  vendor: Type.String(),
  id: Type.String(),
  name: Type.String(),
  source: Type.String(),
  userCount: Type.Integer(),
  credentials: Type.Record(Type.String(), Type.Unknown())
}, { additionalProperties: true })
export const TenantParams = Type.Object({ vendor: Type.String(), id: Type.String() })
export const UserParams = Type.Object({ vendor: Type.String(), id: Type.String(), userId: Type.String() })
export const JournalEntrySchema = Type.Object({
  id: Type.Integer(),
  time: Type.String({ format: 'date-time' }),
  vendor: Type.String(),
  tenant: Type.Union([Type.String(), Type.Null()]),
  method: Type.String(),
  path: Type.String({ description: 'Relative to the vendor mount' }),
  query: Type.String({ description: 'The raw query string, credentials redacted' }),
  headers: Type.Record(Type.String(), Type.String()),
  body: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'A parsed form or JSON body, credentials redacted' })),
  status: Type.Integer({ description: '0 when a fault dropped the connection' }),
  durationMs: Type.Number(),
  replica: Type.Optional(Type.String({ description: 'The replica that served it, when replicas share state (ids are per replica)' }))
})
export const FaultSchema = Type.Object({
  id: Type.String(),
  ...FaultRuleSchema.properties,
  hits: Type.Integer(),
  remaining: Type.Optional(Type.Integer({ description: 'Hits left, when times was given' }))
}, { additionalProperties: false })
export const NoContent = Type.Null({ description: 'No content' })
export const ClockSchema = Type.Object({ now: Type.String(), epochMs: Type.Number(), startedAt: Type.String(), offsetSeconds: Type.Number() })
export const ClockBody = Type.Object({
  advanceSeconds: Type.Optional(Type.Number()),
  now: Type.Optional(Type.String())
}, { additionalProperties: false })
export const JournalQuery = Type.Object({
  vendor: Type.Optional(Type.String()),
  tenant: Type.Optional(Type.String()),
  method: Type.Optional(Type.String()),
  path: Type.Optional(Type.String()),
  status: Type.Optional(Type.Integer({ minimum: 0, maximum: 599 })),
  limit: Type.Optional(Type.Integer({ minimum: 1 })),
  since: Type.Optional(Type.String({ description: 'ISO-8601: only entries at or after this time' }))
}, { additionalProperties: false })
export const TenantListSchema = Type.Object({ tenants: Type.Array(TenantSchema) })
export const CreateTenantBody = Type.Object({ vendor: Type.String(), id: Type.String() }, { additionalProperties: true, description: 'The content of one fixture file' })
export const AddUsersBody = Type.Object({ users: Type.Array(Type.Unknown(), { minItems: 1 }) }, { additionalProperties: false })
export const AddedSchema = Type.Object({ added: Type.Array(Type.String()) })
export const UserBody = Type.Record(Type.String(), Type.Unknown(), { description: 'Fixture-format user fields' })
export const UpdatedSchema = Type.Object({ updated: Type.String() })
export const ReplacedSchema = Type.Object({ replaced: Type.String() })
export const JournalListSchema = Type.Object({ requests: Type.Array(JournalEntrySchema) })
export const FaultListSchema = Type.Object({ faults: Type.Array(FaultSchema) })
export const FaultParams = Type.Object({ id: Type.String() })

export type MockErrorBody = Static<typeof ErrorSchema>
export type Health = Static<typeof HealthSchema>
export type TenantView = Static<typeof TenantSchema>
export type JournalEntryView = Static<typeof JournalEntrySchema>
export type FaultView = Static<typeof FaultSchema>
export type ClockView = Static<typeof ClockSchema>
export type ClockMove = Static<typeof ClockBody>
export type JournalQueryInput = Static<typeof JournalQuery>
export type FaultRuleView = Static<typeof FaultRuleSchema>
