/** The body of every error of the mock's own (admin API, routing, limits): see errors.ts. */
import { Type } from 'typebox'

export const MockErrorSchema = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  issues: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() })))
})
