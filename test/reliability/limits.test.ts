/**
 * Limits over a real socket (app.inject has no HTTP parser): a request line over 16 KiB is 414,
 * a header block over 16 KiB is 431, a body over a route's limit is 413, malformed HTTP is 400,
 * each in the shape of the vendor the request was for (Concur's Message or OAuth envelope,
 * iSpring's negotiated {code, message}, the mock's own shape elsewhere). Requests that stay
 * inside the limits reach the vendor's own 400. A slowloris connection (headers or body
 * trickling in, or nothing at all) is answered 408 and closed within the request timeout.
 */
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import type { MockServer } from '../../src/app.js'
import { build } from '../helper.js'
import { expectAdmin, expectConcurOAuth, expectConcurRest, expectIspring, type Answer } from './support.js'

const TIMEOUT_MS = 500

interface RawResponse extends Answer { closedAfterMs: number, raw: string }

/** Writes `chunks` (a string, or strings sent `gapMs` apart) and reads until the server closes. */
async function exchange (port: number, chunks: string | string[], options: { gapMs?: number, maxMs?: number } = {}): Promise<RawResponse> {
  const parts = typeof chunks === 'string' ? [chunks] : chunks
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1')
    const started = Date.now()
    let data = Buffer.alloc(0)
    let timer: NodeJS.Timeout | undefined
    const give = setTimeout(() => { socket.destroy(); reject(new Error(`the server kept the connection open for ${options.maxMs ?? 5000} ms`)) }, options.maxMs ?? 5000)
    socket.on('data', (chunk: Buffer) => { data = Buffer.concat([data, chunk]) })
    socket.on('error', () => {})
    socket.on('close', () => {
      clearTimeout(give)
      clearInterval(timer)
      const raw = data.toString('utf8')
      const [head = '', ...rest] = raw.split('\r\n\r\n')
      const [statusLine = '', ...headerLines] = head.split('\r\n')
      const headers: Record<string, string> = {}
      for (const line of headerLines) {
        const colon = line.indexOf(':')
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
      }
      resolve({ statusCode: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n'), closedAfterMs: Date.now() - started, raw })
    })
    let next = 0
    const send = (): void => {
      if (socket.destroyed || next >= parts.length) { clearInterval(timer); return }
      socket.write(parts[next++] as string)
    }
    socket.on('connect', () => {
      send()
      if (parts.length > 1) timer = setInterval(send, options.gapMs ?? 100)
    })
  })
}

async function listening (t: Test): Promise<{ app: MockServer, port: number }> {
  const app = await build(t, { requestTimeoutMs: TIMEOUT_MS })
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, port: Number(new URL(address).port) }
}

const BIG = 'a'.repeat(20 * 1024)

t.test('a request line over 16 KiB is 414 in the vendor\'s shape', async (t) => {
  const { port } = await listening(t)
  const concur = await exchange(port, `GET /concur/users/?loginid=${BIG} HTTP/1.1\r\nHost: x\r\n\r\n`)
  t.equal(concur.statusCode, 414)
  t.same(Object.keys(expectConcurRest(concur, [414]) as object), ['Message', 'Server-Time', 'Id'])
  const token = await exchange(port, `POST /concur/oauth2/v0/token?${BIG} HTTP/1.1\r\nHost: x\r\n\r\n`)
  t.same(expectConcurOAuth(token, '', [414]), { error: 'invalid_request', error_description: 'URI Too Long', code: 414 })
  const json = await exchange(port, `GET /ispring/users?logins[]=${BIG} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n`)
  t.same(expectIspring(json, [414], '', 'json').body, { code: 414, message: 'URI Too Long' })
  const xml = await exchange(port, `GET /users?${BIG} HTTP/1.1\r\nHost: demo.ispringlearn.com\r\n\r\n`)
  t.equal(expectIspring(xml, [414], '', 'xml').body.message, 'URI Too Long', 'Host-routed, XML by default')
  const admin = await exchange(port, `GET /__admin/requests?${BIG} HTTP/1.1\r\nHost: x\r\n\r\n`)
  t.equal(expectAdmin(admin, [414]).code, 'MOCK_URI_TOO_LONG', 'elsewhere: the mock\'s own shape')
  t.equal(admin.headers.connection, 'close')
})

t.test('a header block over 16 KiB is 431 in the vendor\'s shape', async (t) => {
  const { port } = await listening(t)
  const concur = await exchange(port, `GET /concur/users/ HTTP/1.1\r\nHost: x\r\nX-Big: ${BIG}\r\n\r\n`)
  expectConcurRest(concur, [431])
  const many = await exchange(port, `GET /concur/users/ HTTP/1.1\r\nHost: x\r\n${Array.from({ length: 2500 }, (_v, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`)
  expectConcurRest(many, [431])
  const token = await exchange(port, `POST /concur/oauth2/v0/token HTTP/1.1\r\nHost: x\r\nCookie: ${BIG}\r\n\r\n`)
  t.equal(expectConcurOAuth(token, '', [431]).code, 431)
  const json = await exchange(port, `GET /ispring/users HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nAuthorization: Bearer ${BIG}\r\n\r\n`)
  t.same(expectIspring(json, [431], '', 'json').body, { code: 431, message: 'Request Header Fields Too Large' })
  const xml = await exchange(port, `GET /ispring/api/v2/users HTTP/1.1\r\nHost: x\r\nX-Auth-Password: ${BIG}\r\n\r\n`)
  expectIspring(xml, [431], '', 'xml')
  const root = await exchange(port, `GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${BIG}\r\n\r\n`)
  t.equal(expectAdmin(root, [431]).code, 'MOCK_HEADERS_TOO_LARGE')
})

t.test('inside the limits, long input reaches the vendor\'s own 400', async (t) => {
  const { port } = await listening(t)
  const concur = await exchange(port, `GET /concur/users/?loginid=${'a'.repeat(12_000)}&LoginID=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`)
  t.equal((expectConcurRest(concur, [401]) as { Message: string }).Message, 'Authorization Required', 'authorization is checked first')
  const ispring = await exchange(port, `GET /ispring/users?pageSize=${'9'.repeat(12_000)} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nX-Auth-Account-Url: https://demo.ispringlearn.com\r\nX-Auth-Email: owner\r\nX-Auth-Password: owner-pass\r\nConnection: close\r\n\r\n`)
  t.match(expectIspring(ispring, [400], '', 'json').body.message, /^Bad Request: pageSize must be an integer from 1 to 1000, got "9{80}\.\.\."$/)
  const longId = await exchange(port, `GET /ispring/user/${'a'.repeat(5000)} HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nX-Auth-Account-Url: https://demo.ispringlearn.com\r\nX-Auth-Email: owner\r\nX-Auth-Password: owner-pass\r\nConnection: close\r\n\r\n`)
  expectIspring(longId, [400], '', 'json')
})

t.test('a body over the route\'s limit is 413 in the vendor\'s shape, with or without Content-Length', async (t) => {
  const { port } = await listening(t)
  const form = 'client_id=' + 'a'.repeat(70 * 1024)
  const concur = await exchange(port, `POST /concur/oauth2/v0/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`)
  t.same(expectConcurOAuth(concur, '', [413]), { error: 'invalid_request', error_description: 'request body too large', code: 135 })
  const chunked = `${(form.length).toString(16)}\r\n${form}\r\n0\r\n\r\n`
  const concurChunked = await exchange(port, `POST /concur/oauth2/v0/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${chunked}`)
  t.equal(expectConcurOAuth(concurChunked, '', [413]).code, 135, 'chunked')
  const ispring = await exchange(port, `POST /ispring/api/v3/token HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\nConnection: close\r\n\r\n${form}`)
  t.same(expectIspring(ispring, [413], '', 'json').body, { code: 413, message: 'Payload Too Large' })
  const big = 'x'.repeat(1024 * 1024 + 10)
  const rest = await exchange(port, `POST /concur/users/ HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: ${big.length}\r\nConnection: close\r\n\r\n${big}`)
  expectConcurRest(rest, [413])
  const admin = await exchange(port, `POST /__admin/faults HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${big.length + 8}\r\nConnection: close\r\n\r\n{"a":"${big}"}`)
  expectAdmin(admin, [413])
})

t.test('malformed HTTP is 400 in the vendor\'s shape when the request line names one', async (t) => {
  const { port } = await listening(t)
  expectConcurRest(await exchange(port, 'GET /concur/users/ HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'), [400])
  expectIspring(await exchange(port, 'GET /ispring/users HTTP/1.1\r\nAccept: application/json\r\nX-A: \u0001\r\n\r\n'), [400], '', 'json')
  expectAdmin(await exchange(port, 'G@T / HTTP/1.1\r\n\r\n'), [400])
  expectConcurRest(await exchange(port, 'GET /concur/users/ HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'), [400])
})

t.test('slowloris: trickled headers, a trickled body and a silent connection are answered 408 and closed within the request timeout', async (t) => {
  const { port } = await listening(t)
  // The timeout, plus the server's checking interval (a quarter of it), plus slack for a busy machine.
  const bound = TIMEOUT_MS + Math.max(50, TIMEOUT_MS / 4) + 1000
  const headers = await exchange(port, ['GET /concur/users/ HTTP/1.1\r\nHost: x\r\n', ...Array.from({ length: 100 }, (_v, i) => `X-Slow-${i}: 1\r\n`)], { gapMs: 50 })
  t.equal(headers.statusCode, 408, 'trickled headers: 408')
  t.ok(headers.closedAfterMs <= bound, `closed after ${headers.closedAfterMs} ms (bound ${bound})`)
  expectAdmin(headers, [408])
  const body = await exchange(port, ['POST /ispring/api/v3/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n', ...Array.from({ length: 100 }, () => 'a')], { gapMs: 50 })
  t.equal(body.statusCode, 408, 'trickled body: 408')
  t.ok(body.closedAfterMs <= bound, `closed after ${body.closedAfterMs} ms`)
  const silent = await exchange(port, [])
  t.equal(silent.statusCode, 408, 'a connection that sends nothing: 408')
  t.ok(silent.closedAfterMs <= bound, `closed after ${silent.closedAfterMs} ms`)
  const slowButInTime = await exchange(port, ['GET /concur/users/ HTTP/1.1\r\n', 'Host: x\r\n', 'Connection: close\r\n\r\n'], { gapMs: 100 })
  t.equal(slowButInTime.statusCode, 401, 'a slow client inside the timeout is served')
})
