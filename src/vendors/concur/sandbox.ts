/** The sandbox page's card for a Concur company: its credentials, curl commands and a "try it". */
import type { Tenant } from '../../core/tenants.js'
import type { SandboxCard } from '../../core/vendor.js'
import type { ConcurCompany } from './data.js'
import { IDENTITY_PATH, SEARCH_URN } from './identity.js'
import { MOUNT } from './oauth.js'

export function concurSandboxCard (tenant: Tenant<ConcurCompany>, base: string): SandboxCard {
  const company = tenant.data
  const [clientId, clientSecret] = [...company.clients][0] ?? ['', '']
  const requestToken = [...company.requestTokens].find(([, t]) => t.clientId === clientId)?.[0] ?? ''
  const form = { client_id: clientId, client_secret: clientSecret, grant_type: 'password', username: company.companyId, password: requestToken, credtype: 'authtoken' }
  const api = base + MOUNT
  return {
    credentials: [
      { label: 'client_id', value: clientId },
      { label: 'client_secret', value: clientSecret },
      { label: 'username (companyId)', value: company.companyId },
      { label: 'password (request token)', value: requestToken }
    ],
    curl: [
      `curl -s -X POST ${api}/oauth2/v0/token \\\n${Object.entries(form).map(([k, v]) => `  -d ${k}=${v}`).join(' \\\n')}`,
      `curl -s "${api}/users/?limit=5" -H "Authorization: Bearer $TOKEN"`,
      '# Identity v4.1 (SCIM): a page of 5 users, then the next page with its nextCursor',
      `curl -s "${api}${IDENTITY_PATH}/Users?count=5" -H "Authorization: Bearer $TOKEN"`,
      `curl -s "${api}${IDENTITY_PATH}/Users?count=5&cursor=$NEXT_CURSOR" -H "Authorization: Bearer $TOKEN"`,
      '# search with a SCIM filter',
      `curl -s -X POST "${api}${IDENTITY_PATH}/Users/.search" -H "Authorization: Bearer $TOKEN" -H "Content-Type: application/json" \\\n  -d '{"schemas":["${SEARCH_URN}"],"filter":"active eq true and name.familyName sw \\"D\\"","count":5}'`
    ],
    tryIt: {
      label: 'Try it: token, then GET /users/?limit=5',
      steps: [
        { method: 'POST', path: `${MOUNT}/oauth2/v0/token`, form, capture: ['access_token'] },
        { method: 'GET', path: `${MOUNT}/users/?limit=5`, headers: { authorization: 'Bearer {{access_token}}' } }
      ]
    }
  }
}
