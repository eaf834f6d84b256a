/**
 * The body parsing both vendors' token endpoints need: form bodies parsed (@fastify/formbody),
 * and any other content type accepted as the marker UNSUPPORTED_BODY instead of Fastify's own
 * 415, so the vendor answers in its own error shape (Concur's code 135, iSpring's 400).
 */
import formbody from '@fastify/formbody'
import type { FastifyInstance } from 'fastify'

export const UNSUPPORTED_BODY = Symbol('unsupported body')
export type FormBody = Record<string, unknown> | typeof UNSUPPORTED_BODY

/** Replaces the scope's body parsers: forms up to `bodyLimit` bytes, everything else as UNSUPPORTED_BODY. */
export async function registerFormBody (app: FastifyInstance, bodyLimit: number): Promise<void> {
  app.removeAllContentTypeParsers()
  await app.register(formbody, { bodyLimit })
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_request, _body, done) => {
    done(null, UNSUPPORTED_BODY)
  })
}
