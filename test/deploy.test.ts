/**
 * The deployment files are checked here since no cluster or Docker engine runs in CI: every
 * Kubernetes document parses and the pieces fit together (selectors, ports, probes, the Redis
 * address, Secret and ConfigMap names, the security settings the image needs), the example
 * fixture loads, and the replicas compose file and its nginx configuration name the same
 * replicas. The fleet itself runs in test/replicas/fleet.test.ts.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { parse, parseAllDocuments } from 'yaml'
import { buildMockServer } from '../src/index.js'

const ROOT = fileURLToPath(new URL('..', import.meta.url))
const K8S = join(ROOT, 'deploy/kubernetes')

type Doc = Record<string, any>

const documents = (file: string): Doc[] => parseAllDocuments(readFileSync(join(K8S, file), 'utf8')).map((d) => {
  if (d.errors.length > 0) throw new Error(`${file}: ${d.errors.map((e) => e.message).join('; ')}`)
  return d.toJS() as Doc
})

t.test('Kubernetes manifests', async (t) => {
  const kustomization = documents('kustomization.yaml')[0] as Doc
  const files = readdirSync(K8S).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort()
  t.same([...kustomization.resources].sort(), files, 'the kustomization lists every manifest')
  const all = files.flatMap(documents)
  const find = (kind: string, name: string): Doc => {
    const doc = all.find((d) => d.kind === kind && d.metadata?.name === name)
    if (doc === undefined) throw new Error(`no ${kind} ${name}`)
    return doc
  }
  for (const doc of all) t.ok(typeof doc.apiVersion === 'string' && typeof doc.kind === 'string' && typeof doc.metadata?.name === 'string', `${doc.kind} ${doc.metadata?.name} has apiVersion, kind and name`)

  const deployment = find('Deployment', 'users-api-mock')
  const pod = deployment.spec.template.spec
  const container = pod.containers[0]
  t.equal(deployment.spec.replicas, 3)
  t.same(deployment.spec.selector.matchLabels, deployment.spec.template.metadata.labels, 'the selector picks the pods')
  t.equal(deployment.spec.strategy.rollingUpdate.maxUnavailable, 0, 'a rolling update keeps every replica serving')

  const ports = Object.fromEntries(container.ports.map((p: Doc) => [p.name, p.containerPort]))
  t.same(ports, { http: 8080, https: 8443 }, 'the image\'s PORT and TLS_PORT')
  for (const probe of ['readinessProbe', 'livenessProbe']) {
    t.same(container[probe].httpGet, { path: '/health', port: 'http' }, `${probe} on /health`)
  }
  t.match(container.resources, { requests: { cpu: /^\d+m$/, memory: /^\d+Mi$/ }, limits: { memory: /^\d+(Mi|Gi)$/ } }, 'resource requests and a memory limit')
  t.match(pod.securityContext, { runAsNonRoot: true, runAsUser: 1000 }, 'non-root, the image\'s node user')
  t.match(container.securityContext, { readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })
  const mounts = Object.fromEntries(container.volumeMounts.map((m: Doc) => [m.mountPath, m.name]))
  t.equal(mounts['/app/state'], 'state', 'a writable state directory (the image\'s STATE_DIR) on the read-only root')
  t.equal(mounts['/tmp'], 'tmp')
  t.equal(mounts['/fixtures'], 'fixtures', 'extra fixtures where the image loads them (FIXTURES_DIR)')
  const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8')
  t.match(dockerfile, /STATE_DIR=\/app\/state/)
  t.match(dockerfile, /FIXTURES_DIR=\/fixtures/)
  t.match(dockerfile, /USER node/)

  const env = Object.fromEntries(container.env.map((e: Doc) => [e.name, e.value ?? e.valueFrom]))
  const redisService = find('Service', 'users-api-mock-redis')
  t.equal(env.STATE_URL, `redis://${redisService.metadata.name as string}:${redisService.spec.ports[0].port as number}/0`, 'STATE_URL names the Redis Service and port')
  const secret = find('Secret', 'users-api-mock')
  for (const name of ['SECRET', 'ADMIN_TOKEN']) {
    t.same(env[name], { secretKeyRef: { name: 'users-api-mock', key: name } }, `${name} from the Secret`)
    t.ok(typeof secret.stringData[name] === 'string', `the Secret has ${name}`)
  }
  const volumes = Object.fromEntries(pod.volumes.map((v: Doc) => [v.name, v]))
  t.equal(volumes.fixtures.configMap.name, find('ConfigMap', 'users-api-mock-fixtures').metadata.name)
  t.same(volumes['fleet-ca'].secret, { secretName: 'users-api-mock-ca', optional: true, defaultMode: 0o440 }, 'the fleet\'s CA, optional')

  const service = find('Service', 'users-api-mock')
  t.same(service.spec.selector, deployment.spec.template.metadata.labels, 'the Service selects the pods')
  t.same(service.spec.ports.map((p: Doc) => p.targetPort).sort(), Object.keys(ports).sort(), 'the Service targets the named container ports')

  const redis = find('StatefulSet', 'users-api-mock-redis')
  t.equal(redis.spec.serviceName, redisService.metadata.name)
  t.same(redisService.spec.selector, redis.spec.template.metadata.labels)
  t.match(redis.spec.template.spec.containers[0].image, /^redis:7/)
  t.ok(redis.spec.volumeClaimTemplates[0].spec.resources.requests.storage, 'Redis keeps its data on a volume')

  const dir = mkdtempSync(join(tmpdir(), 'users-api-mock-configmap-'))
  t.teardown(() => { rmSync(dir, { recursive: true, force: true }) })
  for (const [name, text] of Object.entries(find('ConfigMap', 'users-api-mock-fixtures').data as Record<string, string>)) writeFileSync(join(dir, name), text)
  const app = await buildMockServer({ fixturesDir: dir })
  t.teardown(async () => { await app.close() })
  t.equal(app.mock.store.get('concur', 'staging-co')?.name, 'Staging Co', 'the ConfigMap\'s example tenant loads')
})

t.test('docker-compose.replicas.yml and its nginx configuration', async (t) => {
  const compose = parse(readFileSync(join(ROOT, 'docker-compose.replicas.yml'), 'utf8'), { merge: true }) as Doc
  const replicas = ['mock-1', 'mock-2', 'mock-3']
  t.same(Object.keys(compose.services).sort(), ['lb', ...replicas, 'redis'].sort())
  for (const name of replicas) {
    const service = compose.services[name]
    t.match(service.environment, { STATE_URL: 'redis://redis:6379/0', SECRET: /^\$\{SECRET:\?/, REPLICA_ID: name }, `${name} shares Redis and the SECRET the user sets`)
    t.same(service.volumes, ['mock-state:/app/state'], `${name} shares the state directory (one CA)`)
    t.same(service.depends_on, { redis: { condition: 'service_healthy' } })
  }
  const lb = compose.services.lb
  t.match(lb.image, /^nginx:.*bookworm$/, 'a Debian nginx image')
  t.same(lb.networks.default.aliases, ['us.api.concursolutions.com', 'www-us.api.concursolutions.com', 'api-learn.ispringlearn.com', 'demo.ispringlearn.com'])
  t.same(Object.keys(lb.depends_on).sort(), replicas)
  const nginx = readFileSync(join(ROOT, 'deploy/compose/nginx.conf'), 'utf8')
  t.same([...nginx.matchAll(/server (mock-\d):8080/g)].map((m) => m[1]), replicas, 'HTTP round-robin over the three replicas')
  t.same([...nginx.matchAll(/server (mock-\d):8443/g)].map((m) => m[1]), replicas, 'HTTPS passed through to the three replicas')
  t.same(Object.keys(compose.volumes).sort(), ['mock-state', 'redis-data'])
})
