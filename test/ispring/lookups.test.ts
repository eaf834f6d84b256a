import t from 'tap'
import { build, demoLegacy, demoUserId, ISPRING, ispringGet, ispringToken, JSON_ACCEPT, parseXml, xmlToJson } from '../helper.js'

const D = ISPRING.demo.departments
const G = ISPRING.demo.groups
const owner = { ...demoLegacy('01'), ...JSON_ACCEPT }
const sales = { ...demoLegacy('03'), ...JSON_ACCEPT }
const publisher = { ...demoLegacy('04'), ...JSON_ACCEPT }

t.test('GET /user/{id} and /user/{id}/v2', async (t) => {
  const app = await build(t)

  t.test('a bare JSON object, or <response><userProfile> in XML, equal to the list entry', async (t) => {
    const single = await ispringGet(app, `/user/${demoUserId('07')}`, owner)
    t.equal(single.statusCode, 200)
    t.equal(single.headers['content-type'], 'application/json; charset=utf-8')
    const listed = (await ispringGet(app, '/users?logins[]=emea.rep', owner)).json().userProfiles[0]
    t.same(single.json(), listed)
    const xml = await ispringGet(app, `/user/${demoUserId('07')}`, demoLegacy('01'))
    t.ok(xml.body.startsWith('<?xml version="1.0" encoding="UTF-8"?><response><userProfile><userId>a1000000-0000-4000-8000-000000000007</userId>'))
    const root = await parseXml(xml.body)
    t.same(root.children.map((c) => c.name), ['userProfile'])
    t.same(xmlToJson(root.children[0] as never), listed)
    const upper = await ispringGet(app, `/user/${demoUserId('07').toUpperCase()}/v2`, owner)
    t.equal(upper.json().userId, demoUserId('07'), 'ids match case-insensitively and come back lower-case')
    const token = await ispringToken(app)
    t.equal((await ispringGet(app, `/api/v2/user/${demoUserId('07')}/v2`, { authorization: token })).statusCode, 200, 'under the alias')
  })

  t.test('scope: 403 outside, 200 inside; 404 for an unknown id', async (t) => {
    t.equal((await ispringGet(app, `/user/${demoUserId('08')}/v2`, sales)).statusCode, 200)
    const outside = await ispringGet(app, `/user/${demoUserId('04')}`, sales)
    t.equal(outside.statusCode, 403)
    t.same(outside.json(), { code: 403, message: 'Permission Denied' })
    t.equal((await ispringGet(app, `/user/${demoUserId('01')}/v2`, publisher)).statusCode, 403)
    t.equal((await ispringGet(app, `/user/${demoUserId('10')}/v2`, publisher)).statusCode, 200)
    const unknown = await ispringGet(app, '/user/a1000000-0000-4000-8000-000000000077', sales)
    t.equal(unknown.statusCode, 404)
    t.same(unknown.json(), { code: 404, message: 'Not Found' })
  })
})

t.test('departments', async (t) => {
  const app = await build(t)

  t.test('the whole tree for the owner, in creation order', async (t) => {
    const res = await ispringGet(app, '/departments', owner)
    t.same(res.json(), {
      departments: [
        { departmentId: D.root, name: 'Demo Company', code: 'ROOT', subordination: { subordinationType: 'no_supervisor' }, coSubordination: { subordinationType: 'no_supervisor' } },
        { departmentId: D.sales, name: 'Sales', parentDepartmentId: D.root, code: 'SALES', subordination: { subordinationType: 'inherit' }, coSubordination: { subordinationType: 'inherit' } },
        { departmentId: D.salesEmea, name: 'Sales EMEA', parentDepartmentId: D.sales, code: 'SALES-EMEA', subordination: { subordinationType: 'inherit' }, coSubordination: { subordinationType: 'inherit' } },
        { departmentId: D.engineering, name: 'Engineering', parentDepartmentId: D.root, code: 'ENG', subordination: { subordinationType: 'inherit' }, coSubordination: { subordinationType: 'inherit' } },
        { departmentId: D.platform, name: 'Platform', parentDepartmentId: D.engineering, code: 'ENG-PLATFORM', subordination: { subordinationType: 'inherit' }, coSubordination: { subordinationType: 'inherit' } }
      ]
    })
    const xml = await ispringGet(app, '/departments?pageSize=2', demoLegacy('01'))
    t.ok(xml.body.startsWith(`<?xml version="1.0" encoding="UTF-8"?><response><departments><department><departmentId>${D.root}</departmentId><name>Demo Company</name><code>ROOT</code>`), 'no parentDepartmentId on the root')
    const fromXml = xmlToJson(await parseXml(xml.body)) as { departments: unknown[], nextPageToken: string }
    const json = (await ispringGet(app, '/departments?pageSize=2', owner)).json()
    t.same(fromXml, json)
    t.equal(json.departments.length, 2)
  })

  t.test('scoped roles see their subtree only', async (t) => {
    t.same((await ispringGet(app, '/departments', sales)).json().departments.map((d: { departmentId: string }) => d.departmentId), [D.sales, D.salesEmea])
    t.same((await ispringGet(app, '/departments', publisher)).json().departments.map((d: { departmentId: string }) => d.departmentId), [D.engineering, D.platform])
  })

  t.test('GET /department/{id}', async (t) => {
    const res = await ispringGet(app, `/department/${D.salesEmea}`, sales)
    t.same(res.json(), { departmentId: D.salesEmea, name: 'Sales EMEA', parentDepartmentId: D.sales, code: 'SALES-EMEA', subordination: { subordinationType: 'inherit' }, coSubordination: { subordinationType: 'inherit' } })
    const xml = await ispringGet(app, `/department/${D.root}`, demoLegacy('01'))
    t.equal(xml.body, `<?xml version="1.0" encoding="UTF-8"?><response><department><departmentId>${D.root}</departmentId><name>Demo Company</name><code>ROOT</code><subordination><subordinationType>no_supervisor</subordinationType></subordination><coSubordination><subordinationType>no_supervisor</subordinationType></coSubordination></department></response>`)
    t.equal((await ispringGet(app, `/department/${D.engineering}`, sales)).statusCode, 403, 'outside the scope')
    t.equal((await ispringGet(app, `/department/${D.root}`, sales)).statusCode, 403, 'the parent of the scope')
    t.equal((await ispringGet(app, '/department/d1000000-0000-4000-8000-000000000009', owner)).statusCode, 404)
  })
})

t.test('groups', async (t) => {
  const app = await build(t)

  t.test('GET /groups', async (t) => {
    t.same((await ispringGet(app, '/groups', owner)).json(), {
      groups: [{ groupId: G.interns, name: 'Interns', isSmart: false }, { groupId: G.managers, name: 'Managers', isSmart: false }]
    })
    const xml = await ispringGet(app, '/groups?pageSize=1', demoLegacy('01'))
    t.match(xml.body, new RegExp(`^<\\?xml version="1\\.0" encoding="UTF-8"\\?><response><groups><group><groupId>${G.interns}</groupId><name>Interns</name><isSmart>false</isSmart></group></groups><nextPageToken>[A-Za-z0-9_-]+</nextPageToken></response>$`))
    t.equal((await ispringGet(app, '/groups', sales)).json().groups.length, 2, 'scoped roles see every group')
  })

  t.test('GET /group/{id}: members, only those in scope for scoped roles', async (t) => {
    t.same((await ispringGet(app, `/group/${G.managers}`, owner)).json(), {
      groupId: G.managers, name: 'Managers', isSmart: false, usersCount: 3, userIds: [demoUserId('01'), demoUserId('02'), demoUserId('03')]
    })
    t.same((await ispringGet(app, `/group/${G.managers}`, sales)).json(), { groupId: G.managers, name: 'Managers', isSmart: false, usersCount: 1, userIds: [demoUserId('03')] })
    t.same((await ispringGet(app, `/group/${G.interns}`, sales)).json().userIds, [demoUserId('07')])
    t.same((await ispringGet(app, `/group/${G.managers}`, publisher)).json(), { groupId: G.managers, name: 'Managers', isSmart: false, usersCount: 0, userIds: [] })
    const author = { ...demoLegacy('05'), ...JSON_ACCEPT }
    const forAuthor = await ispringGet(app, `/group/${G.managers}`, author)
    t.equal(forAuthor.body, JSON.stringify({ usersCount: 3, groupId: G.managers, name: 'Managers', isSmart: false }), 'an author gets the count, not the ids (the vendor\'s page), in the sample\'s order')
    const xml = await ispringGet(app, `/group/${G.managers}`, demoLegacy('04'))
    t.equal(xml.body, `<?xml version="1.0" encoding="UTF-8"?><response><group><usersCount>0</usersCount><userIds/><groupId>${G.managers}</groupId><name>Managers</name><isSmart>false</isSmart></group></response>`)
    const ownerXml = await ispringGet(app, `/group/${G.interns}`, demoLegacy('01'))
    t.same(xmlToJson((await parseXml(ownerXml.body)).children[0] as never), (await ispringGet(app, `/group/${G.interns}`, owner)).json())
    t.equal((await ispringGet(app, '/group/e1000000-0000-4000-8000-000000000003', owner)).statusCode, 404)
  })
})
