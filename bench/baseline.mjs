// The baseline of `npm run bench`: a bare Fastify 5 server that answers each scenario's route
// with the mock's own answer (status and body), the body pre-serialized as a Buffer (the cheapest
// thing Node can send). It is the ceiling for that payload on this machine; the mock's req/s is
// reported as a ratio to it.
import Fastify from 'fastify'

const app = Fastify({ logger: false })
const bodies = new Map()
// Any request body (the token scenario posts a form) is read and ignored.
app.removeAllContentTypeParsers()
app.addContentTypeParser('*', (_request, _payload, done) => { done(null) })

app.all('/*', (request, reply) => {
  const entry = bodies.get(request.url.split('?')[0])
  if (entry === undefined) return reply.code(404).send('no such scenario')
  return reply.code(entry.status).type(entry.contentType).send(entry.body)
})

process.on('message', (message) => {
  if (message.type === 'set') {
    // The mock's own status too (201 for a create), so both sides of a write scenario answer alike.
    bodies.set(message.path, { body: Buffer.from(message.body, 'base64'), contentType: message.contentType, status: message.status ?? 200 })
    process.send({ type: 'ok', id: message.id })
  }
})

const address = await app.listen({ port: 0, host: '127.0.0.1' })
process.send({ type: 'listening', address })
