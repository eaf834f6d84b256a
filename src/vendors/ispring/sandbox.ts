/** The sandbox page's card for an iSpring account: its credentials, curl commands and a "try it". */
import type { Tenant } from '../../core/tenants.js'
import type { SandboxCard } from '../../core/vendor.js'
import type { IspringAccount } from './account.js'

export function ispringSandboxCard (tenant: Tenant<IspringAccount>, base: string, mount: string): SandboxCard {
  const account = tenant.data
  const client = [...account.apiClients.values()][0]
  const user = account.handWrittenUsers().find((u) => u.userId === client?.actsAs) ?? account.handWrittenUsers().find((u) => u.state === 'active' && u.role !== 'learner')
  const api = base + mount
  const form = { client_id: client?.clientId ?? '', client_secret: client?.clientSecret ?? '', grant_type: 'client_credentials' }
  return {
    credentials: [
      { label: 'X-Auth-Account-Url', value: account.accountUrl },
      ...(client === undefined ? [] : [{ label: 'client_id', value: client.clientId }, { label: 'client_secret', value: client.clientSecret }]),
      ...(user === undefined ? [] : [{ label: `X-Auth-Email (${user.role})`, value: user.email }, { label: 'X-Auth-Password', value: user.password }])
    ],
    curl: [
      ...(client === undefined
        ? []
        : [
            `curl -s -X POST ${api}/api/v3/token -H "Accept: application/json" \\\n${Object.entries(form).map(([k, v]) => `  -d ${k}=${v}`).join(' \\\n')}`,
            `curl -s "${api}/users?pageSize=5" -H "Authorization: Bearer $TOKEN"`,
            `curl -s "${api}/users/v2?pageSize=5" -H "Authorization: Bearer $TOKEN" -H "Accept: application/json"`,
            '# provision a user: $DEPARTMENT_ID from GET /departments; answers 201 with the new id',
            `curl -s -X POST "${api}/user" -H "Authorization: Bearer $TOKEN" -H "Accept: application/json" -H "Content-Type: application/json" \\\n  -d '{"departmentId":"'$DEPARTMENT_ID'","fields":{"login":"new.user","email":"new.user@example.test","first_name":"New","last_name":"User"}}'`,
            `curl -s -X POST "${api}/users/deactivate" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" -d '{"userIds":["'$USER_ID'"]}'`
          ]),
      ...(user === undefined
        ? []
        : [`curl -s "${api}/users?pageSize=5" \\\n  -H "X-Auth-Account-Url: ${account.accountUrl}" \\\n  -H "X-Auth-Email: ${user.email}" \\\n  -H "X-Auth-Password: ${user.password}"`])
    ],
    tryIt: {
      label: 'Try it: token, then GET /users/v2?pageSize=5 (JSON)',
      steps: [
        { method: 'POST', path: `${mount}/api/v3/token`, headers: { accept: 'application/json' }, form, capture: ['access_token'] },
        { method: 'GET', path: `${mount}/users/v2?pageSize=5`, headers: { accept: 'application/json', authorization: 'Bearer {{access_token}}' } }
      ]
    }
  }
}
