/**
 * The mock's own errors (outside the vendor APIs) share one body shape and stable MOCK_* codes,
 * whether the admin API, the router or Fastify itself refused the request.
 */
import t from 'tap'
import { build } from '../helper.js'

t.test('an unknown path outside the vendors is a 404 in the mock shape', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/nowhere?x=1' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), {
    statusCode: 404,
    code: 'MOCK_NOT_FOUND',
    error: 'Not Found',
    message: 'Not Found: no route for GET /nowhere. Vendor APIs live under /concur and /ispring; GET /health answers when the mock is up.'
  })
})

t.test('admin errors use the same shape', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/__admin/tenants/concur/nobody' })
  t.equal(res.statusCode, 404)
  t.same(res.json(), { statusCode: 404, code: 'MOCK_TENANT_NOT_FOUND', error: 'Not Found', message: 'No concur tenant "nobody". GET /__admin/tenants lists them.' })
  const route = await app.inject({ method: 'PUT', url: '/__admin/clock' })
  t.same(route.json(), { statusCode: 404, code: 'MOCK_ADMIN_NOT_FOUND', error: 'Not Found', message: 'No admin route PUT /__admin/clock; see /openapi/admin.json' })
})

t.test('a URL that cannot be decoded outside the vendors is a 400 in the mock shape', async (t) => {
  const app = await build(t)
  const res = await app.inject({ url: '/x%zz' })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { statusCode: 400, code: 'MOCK_MALFORMED_URL', error: 'Bad Request', message: 'Bad Request: malformed URL' })
})
