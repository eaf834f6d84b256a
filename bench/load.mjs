// The load generator of `npm run bench`, in its own process so it does not share a CPU budget
// with the server under test any more than the machine forces: autocannon, warm-up then measure.
import autocannon from 'autocannon'

const run = (options) => new Promise((resolve, reject) => {
  autocannon(options, (err, result) => (err ? reject(err) : resolve(result)))
})

process.on('message', async ({ url, method, headers, body, connections, warmupSeconds, seconds }) => {
  const base = { url, method, headers, body, connections, pipelining: 1 }
  if (warmupSeconds > 0) await run({ ...base, duration: warmupSeconds })
  if (seconds <= 0) {
    process.send({ requestsPerSecond: 0, p50: 0, p99: 0, non2xx: 0, errors: 0, bytesPerRequest: 0 })
    return
  }
  const r = await run({ ...base, duration: seconds })
  process.send({
    requestsPerSecond: r.duration > 0 ? r.requests.total / r.duration : 0,
    p50: r.latency.p50,
    p99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors + r.timeouts,
    bytesPerRequest: r.requests.total > 0 ? Math.round(r.throughput.total / r.requests.total) : 0
  })
})
