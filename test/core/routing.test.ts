import t from 'tap'
import { hostName, pathInMount, underPrefix } from '../../src/core/routing.js'

t.test('underPrefix: the prefix itself, or below it by "/" or "?", nothing else', async (t) => {
  const cases: Array<[string, boolean]> = [
    ['/concur', true],
    ['/concur/users/', true],
    ['/concur?x=1', true],
    ['/concurrent', false],
    ['/concu', false],
    ['/ispring/concur', false],
    ['', false]
  ]
  for (const [url, expected] of cases) t.equal(underPrefix(url, '/concur'), expected, url)
})

t.test('pathInMount and hostName', async (t) => {
  t.equal(pathInMount('/concur/users/?limit=1', '/concur'), '/users/')
  t.equal(pathInMount('/concur?x', '/concur'), '/')
  t.equal(pathInMount('/health', '/concur'), '/health')
  t.equal(hostName('US.api.concursolutions.com:8080'), 'us.api.concursolutions.com')
  t.equal(hostName('[::1]:8080'), '[::1]')
  t.equal(hostName(undefined), '')
})
