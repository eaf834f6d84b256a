/**
 * iSpring departments and groups: create, update, move (no cycles), delete (refused while in use),
 * users moved in, group members in and out, the unpaged lists, and who may do each.
 */
import t from 'tap'
import { build, demoUserId, ISPRING, ispringGet, ispringToken, JSON_ACCEPT, parseXml, ispringError, ispringSend } from '../helper.js'

const D = ISPRING.demo.departments
const G = ISPRING.demo.groups

const send = ispringSend
const error = ispringError

t.test('departments: create under a parent, update, move without cycles, delete only when empty', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const created = await send(app, 'POST', '/department', owner, { name: 'Sales APAC', parentDepartmentId: D.sales, code: 'APAC' })
  t.equal(created.statusCode, 201, created.body)
  const apac = created.json() as string
  t.same((await ispringGet(app, `/department/${apac}`, owner)).json(), { departmentId: apac, name: 'Sales APAC', parentDepartmentId: D.sales, code: 'APAC', subordination: { subordinationType: 'inherit' }, coSubordination: { subordinationType: 'inherit' } })
  t.same((await ispringGet(app, '/department?code=APAC', owner)).json().departments.map((d: { departmentId: string }) => d.departmentId), [apac], 'GET /department by code')
  t.equal((await send(app, 'POST', `/department/${apac}`, owner, { name: 'Sales Asia-Pacific' })).statusCode, 204)
  t.equal((await ispringGet(app, `/department/${apac}`, owner)).json().name, 'Sales Asia-Pacific')

  const moved = await send(app, 'POST', `/department/${D.sales}`, owner, { parentDepartmentId: apac })
  t.same(moved.json(), error(400, 'Bad Request: parentDepartmentId: a department cannot move under itself or its sub-departments'))
  t.same((await send(app, 'POST', `/department/${D.root}`, owner, { parentDepartmentId: D.sales })).json(), error(400, 'Bad Request: the root department has no parent'))

  t.equal((await send(app, 'POST', `/department/${apac}/user/move`, owner, { userIds: [demoUserId('07')] })).statusCode, 204)
  t.equal((await ispringGet(app, `/user/${demoUserId('07')}`, owner)).json().departmentId, apac, 'a user moved in')
  t.same((await send(app, 'DELETE', `/department/${apac}`, owner)).json(), error(400, 'Bad Request: the department has users: move or delete them first'))
  t.same((await send(app, 'DELETE', `/department/${D.sales}`, owner)).json(), error(400, 'Bad Request: the department has sub-departments: move or delete them first'))
  t.same((await send(app, 'DELETE', `/department/${D.root}`, owner)).json(), error(400, 'Bad Request: the root department cannot be deleted'))
  t.equal((await send(app, 'POST', `/department/${D.engineering}/department/move`, owner, { departmentIds: [apac] })).statusCode, 204)
  t.equal((await ispringGet(app, `/department/${apac}`, owner)).json().parentDepartmentId, D.engineering, 'moved under Engineering')
  const underEngineering = (await ispringGet(app, `/users?departments[]=${D.engineering}`, owner)).json().userProfiles.map((u: { userId: string }) => u.userId)
  t.ok(underEngineering.includes(demoUserId('07')), 'its users now list under the new parent (sub-departments included)')
  t.equal((await send(app, 'POST', `/department/${D.sales}/user/move`, owner, { userIds: [demoUserId('07')] })).statusCode, 204)
  t.equal((await send(app, 'DELETE', `/department/${apac}`, owner)).statusCode, 204)
  t.equal((await ispringGet(app, `/department/${apac}`, owner)).statusCode, 404)
})

t.test('departments and scope: a department administrator works inside their departments only', async (t) => {
  const app = await build(t)
  const sales = { authorization: await ispringToken(app, ISPRING.demo.clients.sales), ...JSON_ACCEPT }
  const inside = await send(app, 'POST', '/department', sales, { name: 'EMEA North', parentDepartmentId: D.salesEmea })
  t.equal(inside.statusCode, 201)
  t.equal((await ispringGet(app, '/department', sales)).json().departments.length, 3, 'GET /department lists the scope, the new one included')
  t.equal((await send(app, 'POST', '/department', sales, { name: 'Rogue', parentDepartmentId: D.engineering })).statusCode, 403)
  t.equal((await send(app, 'POST', `/department/${D.platform}`, sales, { name: 'Mine now' })).statusCode, 403)
  t.equal((await send(app, 'POST', `/department/${D.sales}/department/move`, sales, { departmentIds: [D.platform] })).statusCode, 403)
  t.equal((await send(app, 'POST', `/department/${D.sales}/user/move`, sales, { userIds: [demoUserId('06')] })).statusCode, 403, 'a user from outside cannot be pulled in')
  t.equal((await send(app, 'POST', '/department', { ...JSON_ACCEPT, authorization: await ispringToken(app, ISPRING.demo.clients.learner) }, { name: 'x', parentDepartmentId: D.sales })).statusCode, 403)
})

t.test('groups: create with members, rename, add and remove members, delete; the unpaged list', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const created = await send(app, 'POST', '/group', owner, `<request><name>Mentors</name><userIds><id>${demoUserId('02')}</id></userIds></request>`, 'application/xml')
  t.equal(created.statusCode, 201, created.body)
  const id = created.json() as string
  t.same((await ispringGet(app, `/group/${id}`, owner)).json(), { usersCount: 1, userIds: [demoUserId('02')], groupId: id, name: 'Mentors', isSmart: false })
  t.equal((await send(app, 'POST', `/group/${id}`, owner, { name: 'Mentors 2027' })).statusCode, 200)
  t.equal((await send(app, 'POST', `/group/${id}/members`, owner, { userIds: [demoUserId('06'), demoUserId('02')] })).statusCode, 200)
  t.same((await ispringGet(app, `/group/${id}`, owner)).json().userIds, [demoUserId('02'), demoUserId('06')], 'members once each, in creation order')
  t.same((await ispringGet(app, `/users/v2?groups[]=${id}`, owner)).json().userProfiles.map((u: { userId: string }) => u.userId), [demoUserId('02'), demoUserId('06')], 'the groups[] filter sees them')
  t.equal((await send(app, 'POST', `/user/${demoUserId('06')}/groups/remove`, owner, { groupIds: [id, G.interns] })).statusCode, 200)
  t.same((await ispringGet(app, `/user/${demoUserId('06')}`, owner)).json().groups, undefined, 'no groups left')
  const list = await ispringGet(app, '/group', owner)
  t.same(list.json().map((g: { name: string }) => g.name), ['Interns', 'Managers', 'Mentors 2027'])
  const xml = await parseXml((await ispringGet(app, '/group', { authorization: owner.authorization })).body)
  t.same(xml.children.map((c) => c.name), ['group', 'group', 'group'])
  t.equal((await send(app, 'DELETE', `/group/${id}`, owner)).statusCode, 204)
  t.equal((await ispringGet(app, `/group/${id}`, owner)).statusCode, 404)
  t.same((await ispringGet(app, `/user/${demoUserId('02')}`, owner)).json().groups, [G.managers], 'members left the deleted group')
  t.same((await send(app, 'POST', '/group', owner, {})).json(), error(400, 'Bad Request: name is required'))
  const sales = { authorization: await ispringToken(app, ISPRING.demo.clients.sales), ...JSON_ACCEPT }
  t.equal((await send(app, 'POST', `/group/${G.interns}/members`, sales, { userIds: [demoUserId('06')] })).statusCode, 403, 'a member outside the scope')
  t.equal((await send(app, 'DELETE', `/group/${G.interns}`, sales)).statusCode, 403)
  t.equal((await send(app, 'POST', `/group/${G.managers}`, sales, { name: 'Ours now' })).statusCode, 403, 'a group spans departments: renaming is for owners and administrators')
})

t.test('subordination of a user and of a department', async (t) => {
  const app = await build(t)
  const owner = { authorization: await ispringToken(app), ...JSON_ACCEPT }
  const rep = demoUserId('06')
  const set = await send(app, 'POST', `/user/${rep}/subordination`, owner, { subordination: { subordinationType: 'manual', supervisorId: demoUserId('04') } })
  t.equal(set.statusCode, 204, set.body)
  t.match((await ispringGet(app, `/user/${rep}`, owner)).json(), { subordination: { subordinationType: 'manual', supervisorId: demoUserId('04') }, coSubordination: { subordinationType: 'inherit' } })
  t.same((await send(app, 'POST', `/user/${rep}/subordination`, owner, { subordination: { subordinationType: 'manual' } })).json(), error(400, 'Bad Request: subordination.supervisorId is required with subordinationType manual'))
  t.same((await send(app, 'POST', `/user/${rep}/subordination`, owner, { subordination: { subordinationType: 'manual', supervisorId: rep } })).json(), error(400, 'Bad Request: a user cannot supervise themselves'))
  t.same((await send(app, 'POST', `/user/${rep}/subordination`, owner, {})).json(), error(400, 'Bad Request: subordination or coSubordination is required'))
  const xml = '<request><coSubordination><subordinationType>no_supervisor</subordinationType></coSubordination></request>'
  t.equal((await send(app, 'POST', `/department/${D.platform}/subordination`, owner, xml, 'application/xml')).statusCode, 204)
  t.same((await ispringGet(app, `/department/${D.platform}`, owner)).json().coSubordination, { subordinationType: 'no_supervisor' })
  const sales = { authorization: await ispringToken(app, ISPRING.demo.clients.sales), ...JSON_ACCEPT }
  t.equal((await send(app, 'POST', `/department/${D.platform}/subordination`, sales, { subordination: { subordinationType: 'inherit' } })).statusCode, 403)
})
