import t from 'tap'
import { DirectoryVersion, PageCache } from '../../src/core/page-cache.js'
import { build, concurToken, concurUsers, demoLegacy, demoUserId, ispringGet, JSON_ACCEPT } from '../helper.js'

const bytes = (n: number, fill = 'x'): Buffer => Buffer.alloc(n, fill)

t.test('PageCache: least recently used goes first, within entries and bytes', async (t) => {
  const cache = new PageCache(100, 3)
  cache.set('a', bytes(10, 'a'))
  cache.set('b', bytes(10, 'b'))
  cache.set('c', bytes(10, 'c'))
  t.equal(cache.get('a')?.toString(), 'a'.repeat(10), 'a hit makes "a" the most recent')
  cache.set('d', bytes(10, 'd'))
  t.same([cache.get('b'), cache.size, cache.bytes], [undefined, 3, 30], '"b" was the least recent and went')
  t.ok(cache.get('a') !== undefined && cache.get('c') !== undefined && cache.get('d') !== undefined)

  cache.set('c', bytes(20, 'C'))
  t.same([cache.get('c')?.toString(), cache.size, cache.bytes], ['C'.repeat(20), 3, 40], 'a replaced entry is counted once')
  cache.set('e', bytes(25))
  cache.set('f', bytes(25))
  t.ok(cache.bytes <= 100, `bytes stay within the budget (${cache.bytes})`)
  t.equal(cache.get('a'), undefined, 'older entries made room')
  cache.set('big', bytes(26))
  t.equal(cache.get('big'), undefined, 'an answer over a quarter of the budget is not kept')
  cache.clear()
  t.same([cache.size, cache.bytes, cache.get('f')], [0, 0, undefined])
})

t.test('DirectoryVersion: one key per directory object and change', async (t) => {
  const one = new DirectoryVersion()
  const two = new DirectoryVersion()
  t.not(one.key, two.key)
  const before = one.key
  one.bump()
  t.not(one.key, before)
  t.not(one.key, two.key)
})

t.test('a repeated page is served from the cache and follows every change at once', async (t) => {
  const app = await build(t)
  const owner = { ...demoLegacy('01'), ...JSON_ACCEPT }
  const url = '/users/v2?pageSize=4'
  const statusOf = (page: { userProfiles: Array<{ userId: string, status: number }> }, id: string) => page.userProfiles.find((u) => u.userId === id)?.status

  const first = await ispringGet(app, url, owner)
  const again = await ispringGet(app, url, owner)
  t.equal(again.body, first.body, 'the same bytes')
  t.equal(again.headers['content-type'], 'application/json; charset=utf-8')
  t.ok(app.mock.pages.size >= 1, 'the page is cached')
  const xml = await ispringGet(app, url, demoLegacy('01'))
  t.equal(xml.headers['content-type'], 'application/xml; charset=utf-8', 'XML is a separate entry')
  t.match(xml.body, /^<\?xml/)

  const target = first.json().userProfiles[1].userId as string
  t.equal(statusOf(first.json(), target), 1)
  const patch = await app.inject({ method: 'PATCH', url: `/__admin/tenants/ispring/demo/users/${target}`, payload: { state: 'employment_ended' } })
  t.equal(patch.statusCode, 200)
  t.equal(statusOf((await ispringGet(app, url, owner)).json(), target), 5, 'JSON v2 page: employment ended at once')
  t.match((await ispringGet(app, url, demoLegacy('01'))).body, /<status>5<\/status>/, 'XML page too')
  t.equal(statusOf((await ispringGet(app, '/users?pageSize=4', owner)).json(), target), 3, 'v1 says 3')

  const all = async () => (await ispringGet(app, '/users/v2', owner)).json().userProfiles.map((u: { userId: string }) => u.userId)
  const countBefore = (await all()).length
  const add = await app.inject({
    method: 'POST',
    url: '/__admin/tenants/ispring/demo/users',
    payload: { users: [{ userId: 'a1000000-0000-4000-8000-000000000031', login: 'cached.new', email: 'cached.new@demo.test', password: 'x', firstName: 'C', lastName: 'New', role: 'learner', departmentId: 'd1000000-0000-4000-8000-000000000001' }] }
  })
  t.equal(add.statusCode, 201)
  const after = await all()
  t.equal(after.length, countBefore + 1)
  t.equal(after.at(-1), 'a1000000-0000-4000-8000-000000000031', 'an added user is on the same URL\'s page')

  const reset = await app.inject({ method: 'POST', url: '/__admin/reset' })
  t.equal(reset.statusCode, 204)
  t.equal(app.mock.pages.size, 0, 'reset empties the cache')
  t.equal((await all()).length, countBefore, 'back to the fixture')
  t.equal(statusOf((await ispringGet(app, url, owner)).json(), target), 1)
})

t.test('the cache never crosses callers: scope, account and query are part of the key', async (t) => {
  const app = await build(t)
  const url = '/users/v2'
  const ids = async (nn: '01' | '03' | '04') => (await ispringGet(app, url, { ...demoLegacy(nn), ...JSON_ACCEPT })).json().userProfiles.map((u: { userId: string }) => u.userId)
  const owner = await ids('01')
  const sales = await ids('03')
  const publisher = await ids('04')
  t.ok(sales.length < owner.length && sales.includes(demoUserId('07')), 'the sales admin sees the sales subtree only')
  t.notSame(sales, publisher)
  t.same(await ids('03'), sales, 'and again, from the cache')
  t.same(await ids('01'), owner)

  const { access_token: token } = await concurToken(app)
  const page = (await concurUsers(app, token, 'limit=1')).json()
  t.equal(page.Items.length, 1)
  t.equal((await concurUsers(app, token, 'limit=1&Limit=1')).statusCode, 400, 'a refused query is never answered from the cache')
  t.equal((await concurUsers(app, token, 'limit=2')).json().Items.length, 2)
  const acme = await concurToken(app, 'acme')
  t.not((await concurUsers(app, acme.access_token, 'limit=1')).json().Items[0].ID, page.Items[0].ID, 'another company, another page')
})

t.test('PAGE_CACHE_MB 0 keeps nothing: every page is assembled, with the same bytes', async (t) => {
  const app = await build(t, { pageCacheMb: 0 })
  const cached = await build(t)
  const owner = { ...demoLegacy('01'), ...JSON_ACCEPT }
  const first = await ispringGet(app, '/users/v2?pageSize=3', owner)
  const again = await ispringGet(app, '/users/v2?pageSize=3', owner)
  const { access_token: token } = await concurToken(app)
  t.equal((await concurUsers(app, token, 'limit=2')).statusCode, 200)
  t.equal(app.mock.pages.size, 0, 'nothing cached')
  t.equal(again.body, first.body)
  t.equal((await ispringGet(cached, '/users/v2?pageSize=3', owner)).body, first.body, 'a cached answer is the same as an assembled one')
})
