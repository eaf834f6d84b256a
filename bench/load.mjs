// The load generator of `npm run bench`, in its own process so it does not share a CPU budget
// with the server under test any more than the machine forces: autocannon, warm-up then measure.
import { randomUUID } from 'node:crypto'
import autocannon from 'autocannon'

const run = (options) => new Promise((resolve, reject) => {
  autocannon(options, (err, result) => (err ? reject(err) : resolve(result)))
})

// `unique`: each request's body is `body` with every `$N` replaced by a value no request of the run
// has used (a random prefix per load process, then a counter), for writes that must not repeat
// (new users' logins and e-mails).
process.on('message', async ({ url, method, headers, body, connections, warmupSeconds, seconds, unique }) => {
  const prefix = randomUUID().slice(0, 8)
  let n = 0
  const requests = unique === true
    ? [{ method, headers, setupRequest: (request) => ({ ...request, body: body.replaceAll('$N', `${prefix}-${++n}`) }) }]
    : undefined
  const base = { url, method, headers, body, connections, pipelining: 1, ...(requests === undefined ? {} : { requests }) }
  if (warmupSeconds > 0) await run({ ...base, duration: warmupSeconds })
  if (seconds <= 0) {
    process.send({ requestsPerSecond: 0, p50: 0, p99: 0, non2xx: 0, errors: 0, bytesPerRequest: 0, statusCodes: {} })
    return
  }
  const r = await run({ ...base, duration: seconds })
  process.send({
    requestsPerSecond: r.duration > 0 ? r.requests.total / r.duration : 0,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    bytesPerRequest: r.requests.total > 0 ? Math.round(r.throughput.total / r.requests.total) : 0,
    // Answers by status code, so a scenario can require exactly the one it expects (201 for creates).
    statusCodes: Object.fromEntries(Object.entries(r.statusCodeStats ?? {}).map(([code, s]) => [code, s.count]))
  })
})
