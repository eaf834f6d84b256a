/**
 * Identity v4.1's discovery documents (RFC 7643 sections 5-7): what this mock really supports,
 * so a SCIM client that reads them before calling adapts to the mock, not to a wish list.
 */
import { ENTERPRISE_URN, LIST_URN, MAX_COUNT, USER_URN } from './identity.js'

const SPC_URN = 'urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'
const RESOURCE_TYPE_URN = 'urn:ietf:params:scim:schemas:core:2.0:ResourceType'
const SCHEMA_URN = 'urn:ietf:params:scim:schemas:core:2.0:Schema'

interface Attribute {
  name: string
  type: 'string' | 'boolean' | 'complex' | 'dateTime' | 'reference'
  multiValued: boolean
  required: boolean
  caseExact: boolean
  mutability: 'readOnly' | 'readWrite' | 'immutable'
  returned: 'always' | 'default'
  uniqueness: 'none' | 'server'
  subAttributes?: Attribute[]
}

const attr = (name: string, options: Partial<Attribute> = {}): Attribute =>
  ({ name, type: 'string', multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...options })

const USER_ATTRIBUTES: Attribute[] = [
  attr('id', { mutability: 'readOnly', returned: 'always', uniqueness: 'server' }),
  attr('userName', { required: true, uniqueness: 'server' }),
  attr('displayName', { mutability: 'readOnly' }),
  attr('name', { type: 'complex', subAttributes: [attr('givenName'), attr('familyName'), attr('middleName')] }),
  attr('active', { type: 'boolean' }),
  attr('emails', { type: 'complex', multiValued: true, subAttributes: [attr('value'), attr('type'), attr('verified', { type: 'boolean', mutability: 'readOnly' }), attr('notifications', { type: 'boolean', mutability: 'readOnly' })] }),
  attr('phoneNumbers', { type: 'complex', multiValued: true, subAttributes: [attr('value'), attr('type')] }),
  attr('addresses', { type: 'complex', multiValued: true, subAttributes: [attr('country'), attr('type')] }),
  attr('timezone', { mutability: 'readOnly' }),
  attr('preferredLanguage', { mutability: 'readOnly' }),
  attr('meta', { type: 'complex', mutability: 'readOnly', subAttributes: [attr('resourceType', { mutability: 'readOnly' }), attr('created', { type: 'dateTime', mutability: 'readOnly' }), attr('lastModified', { type: 'dateTime', mutability: 'readOnly' }), attr('version', { mutability: 'readOnly' }), attr('location', { type: 'reference', mutability: 'readOnly' })] })
]

const ENTERPRISE_ATTRIBUTES: Attribute[] = [
  attr('employeeNumber'),
  attr('companyId', { mutability: 'immutable' }),
  attr('startDate', { mutability: 'readOnly' }),
  attr('terminationDate', { mutability: 'readOnly' })
]

const located = (base: string, path: string): { location: string } => ({ location: `${base}${path}` })

export function serviceProviderConfig (base: string): object {
  return {
    schemas: [SPC_URN],
    patch: { supported: true },
    bulk: { supported: false, maxOperations: 0, maxPayloadSize: 0 },
    filter: { supported: true, maxResults: MAX_COUNT },
    changePassword: { supported: false },
    sort: { supported: false },
    etag: { supported: false },
    authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'A company access token from POST /oauth2/v0/token', primary: true }],
    meta: { resourceType: 'ServiceProviderConfig', ...located(base, '/ServiceProviderConfig') }
  }
}

function resourceType (base: string): object {
  return {
    schemas: [RESOURCE_TYPE_URN],
    id: 'User',
    name: 'User',
    endpoint: '/Users',
    schema: USER_URN,
    schemaExtensions: [{ schema: ENTERPRISE_URN, required: false }],
    meta: { resourceType: 'ResourceType', ...located(base, '/ResourceTypes/User') }
  }
}

export function resourceTypes (base: string): object {
  return { schemas: [LIST_URN], totalResults: 1, itemsPerPage: 1, startIndex: 1, Resources: [resourceType(base)] }
}

function schema (base: string, id: string): object | undefined {
  const [name, attributes] = id === USER_URN ? ['User', USER_ATTRIBUTES] : id === ENTERPRISE_URN ? ['EnterpriseUser', ENTERPRISE_ATTRIBUTES] : [undefined, undefined]
  if (name === undefined) return undefined
  return { schemas: [SCHEMA_URN], id, name, attributes, meta: { resourceType: 'Schema', ...located(base, `/Schemas/${id}`) } }
}

export function schemas (base: string): object {
  const all = [schema(base, USER_URN), schema(base, ENTERPRISE_URN)]
  return { schemas: [LIST_URN], totalResults: all.length, itemsPerPage: all.length, startIndex: 1, Resources: all }
}

/** One schema by its URN, or undefined. */
export function schemaById (base: string, id: string): object | undefined {
  return schema(base, id)
}
