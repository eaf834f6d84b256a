/**
 * End to end: a user-sync job written as a new iSpring customer would write it, from the
 * vendor's pages only (token, list users v2 page by page, create the missing, update the changed,
 * terminate the departed, read back), run unchanged against the mock over HTTP with only its
 * base URL pointed at it.
 */
import t from 'tap'
import { build, ISPRING } from '../helper.js'

interface Employee { login: string, email: string, firstName: string, lastName: string, jobTitle: string, departmentId: string }
interface Profile { userId: string, status: number, departmentId: string, fields: Array<{ name: string, value: string }> }

/** The job: knows nothing of the mock, only iSpring's REST API. */
async function syncDirectory (baseUrl: string, client: { clientId: string, clientSecret: string }, hr: Employee[]): Promise<{ created: number, updated: number, terminated: number }> {
  const tokenRes = await fetch(`${baseUrl}/api/v3/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
    body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'client_credentials' })
  })
  if (!tokenRes.ok) throw new Error(`token: ${tokenRes.status}`)
  const { access_token: token } = await tokenRes.json() as { access_token: string }
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' }
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    const res = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) })
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`)
    return res
  }

  const existing: Profile[] = []
  let pageToken: string | undefined
  do {
    const page = await (await call('GET', `/users/v2?pageSize=3${pageToken === undefined ? '' : `&pageToken=${encodeURIComponent(pageToken)}`}`)).json() as { userProfiles: Profile[], nextPageToken?: string }
    existing.push(...page.userProfiles)
    pageToken = page.nextPageToken
  } while (pageToken !== undefined)

  const value = (p: Profile, name: string): string => p.fields.find((f) => f.name === name)?.value ?? ''
  const byLogin = new Map(existing.map((p) => [value(p, 'LOGIN').toLowerCase(), p]))
  const wanted = new Set(hr.map((e) => e.login.toLowerCase()))
  const stats = { created: 0, updated: 0, terminated: 0 }
  for (const e of hr) {
    const fields = { login: e.login, email: e.email, first_name: e.firstName, last_name: e.lastName, job_title: e.jobTitle }
    const current = byLogin.get(e.login.toLowerCase())
    if (current === undefined) {
      await call('POST', '/user', { departmentId: e.departmentId, fields, role: 'learner', sendLoginEmail: false })
      stats.created++
    } else if (value(current, 'FIRST_NAME') !== e.firstName || value(current, 'LAST_NAME') !== e.lastName || value(current, 'JOB_TITLE') !== e.jobTitle || current.departmentId !== e.departmentId) {
      await call('POST', `/user/${current.userId}`, { departmentId: e.departmentId, fields })
      stats.updated++
    }
  }
  const departed = existing.filter((p) => p.status === 1 && value(p, 'LOGIN').startsWith('sync.') && !wanted.has(value(p, 'LOGIN').toLowerCase()))
  if (departed.length > 0) {
    await call('POST', '/users/terminate', { userIds: departed.map((p) => p.userId) })
    stats.terminated = departed.length
  }
  return stats
}

t.test('a sync job runs unchanged against the mock: creates, updates, terminates, and a second run has nothing to do', async (t) => {
  const app = await build(t)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  const baseUrl = `http://127.0.0.1:${address.port}/ispring`
  const D = ISPRING.demo.departments
  const hr: Employee[] = [
    { login: 'sync.ada', email: 'ada@hr.test', firstName: 'Ada', lastName: 'Lovelace', jobTitle: 'Analyst', departmentId: D.sales },
    { login: 'sync.alan', email: 'alan@hr.test', firstName: 'Alan', lastName: 'Turing', jobTitle: 'Engineer', departmentId: D.platform },
    { login: 'sync.grace', email: 'grace@hr.test', firstName: 'Grace', lastName: 'Hopper', jobTitle: 'Admiral', departmentId: D.engineering }
  ]
  const client = ISPRING.demo.clients.owner
  t.same(await syncDirectory(baseUrl, client, hr), { created: 3, updated: 0, terminated: 0 }, 'first run creates the three')
  t.same(await syncDirectory(baseUrl, client, hr), { created: 0, updated: 0, terminated: 0 }, 'a second run finds nothing to do: every write was read back')

  const changed = [{ ...hr[0] as Employee, jobTitle: 'Lead Analyst', departmentId: D.salesEmea }, hr[1] as Employee]
  t.same(await syncDirectory(baseUrl, client, changed), { created: 0, updated: 1, terminated: 1 }, 'Ada promoted and moved, Grace departed')
  t.same(await syncDirectory(baseUrl, client, changed), { created: 0, updated: 0, terminated: 0 })

  const token = await (await fetch(`${baseUrl}/api/v3/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' }, body: new URLSearchParams({ client_id: client.clientId, client_secret: client.clientSecret, grant_type: 'client_credentials' }) })).json() as { access_token: string }
  const read = async (query: string, accept: string) => await (await fetch(`${baseUrl}/users${query}`, { headers: { authorization: token.access_token, accept } })).text()
  const v1 = JSON.parse(await read('?logins[]=sync.grace', 'application/json')) as { userProfiles: Profile[] }
  t.equal(v1.userProfiles[0]?.status, 3, 'Grace: employment ended, 3 on /users')
  const v2 = JSON.parse(await read('/v2?logins[]=sync.grace', 'application/json')) as { userProfiles: Profile[] }
  t.equal(v2.userProfiles[0]?.status, 5, 'and 5 on /users/v2')
  const xml = await read(`?departments[]=${D.salesEmea}`, 'application/xml')
  t.match(xml, /<value>sync\.ada<\/value>/, 'Ada shows under Sales EMEA in XML')
  t.match(xml, /<value>Lead Analyst<\/value>/)
})
