/**
 * The sandbox page at /: what the mock is, every tenant with its credentials, copy-able curl
 * commands, and "try it" buttons that call the mock from the browser and show the answer. One
 * self-contained HTML document (no build step, no external assets: it works offline).
 */
import type { FastifyInstance } from 'fastify'
import { PACKAGE_VERSION } from '../core/package-info.js'
import { publicBase } from '../core/routing.js'
import type { SandboxCard, VendorModule } from '../core/vendor.js'
import type { ApiDocument } from './openapi.js'

const escapeHtml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;')

/** JSON safe to place inside a <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c')

const STYLE = `
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;color:#1d2329;background:#f6f7f9}
header{background:#1d2b3a;color:#fff;padding:20px 32px}header h1{margin:0;font-size:24px}header p{margin:4px 0 0;color:#c9d4df}
header a{color:#9fd0ff;margin-right:16px}main{padding:8px 32px 40px;max-width:1200px}
h2{margin:28px 0 8px}section.tenant{background:#fff;border:1px solid #dde2e8;border-radius:8px;padding:14px 18px;margin:12px 0}
section.tenant h3{margin:0 0 6px;font-size:17px}.meta{color:#5b6670;font-size:13px}
table{border-collapse:collapse;margin:8px 0}td{padding:2px 14px 2px 0;vertical-align:top}td:first-child{color:#5b6670;white-space:nowrap}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#f0f2f5;padding:10px;border-radius:6px;overflow:auto;white-space:pre-wrap;word-break:break-all}
button{background:#0b6bcb;color:#fff;border:0;border-radius:6px;padding:7px 14px;font-size:14px;cursor:pointer}button:disabled{background:#8aa9c8}
.status{font-weight:600;margin-left:10px}.ok{color:#137333}.fail{color:#b3261e}details{margin-top:8px}`

const SCRIPT = `
const cards = JSON.parse(document.getElementById('cards').textContent);
const fill = (text, vars) => text.replace(/{{(\\w+)}}/g, (_, k) => vars[k] ?? '');
async function tryIt (button) {
  const card = cards[button.dataset.card];
  const out = document.getElementById(button.dataset.out);
  const status = document.getElementById(button.dataset.status);
  button.disabled = true; status.textContent = '…'; status.className = 'status';
  const vars = {};
  let res, text = '';
  try {
    for (const step of card.tryIt.steps) {
      const init = { method: step.method, headers: {} };
      for (const [k, v] of Object.entries(step.headers || {})) init.headers[k] = fill(v, vars);
      if (step.form) { init.headers['content-type'] = 'application/x-www-form-urlencoded'; init.body = new URLSearchParams(step.form).toString(); }
      res = await fetch(fill(step.path, vars), init);
      text = await res.text();
      if (step.capture) { try { const json = JSON.parse(text); for (const k of step.capture) vars[k] = json[k]; } catch {} }
      if (!res.ok) break;
    }
    status.textContent = 'HTTP ' + res.status; status.className = 'status ' + (res.ok ? 'ok' : 'fail');
    try { text = JSON.stringify(JSON.parse(text), null, 2); } catch {}
    out.textContent = text.length > 6000 ? text.slice(0, 6000) + '\\n…' : text;
  } catch (err) {
    status.textContent = 'request failed'; status.className = 'status fail'; out.textContent = String(err);
  } finally { button.disabled = false; }
}
document.querySelectorAll('button[data-card]').forEach((b) => b.addEventListener('click', () => tryIt(b)));`

export function registerSandboxPage (app: FastifyInstance, vendors: readonly VendorModule[], documents: ApiDocument[]): void {
  app.get('/', { schema: { hide: true } }, async (request, reply) => {
    const base = publicBase(request, app.mock.config.publicUrl)
    const cards: SandboxCard[] = []
    const sections = vendors.map((vendor) => {
      const tenants = app.mock.store.list(vendor.name)
      const body = tenants.map((tenant) => {
        const card = vendor.sandbox?.(tenant, base)
        if (card === undefined) return ''
        const index = cards.push(card) - 1
        const id = `${vendor.name}-${tenant.id}`
        const users = app.mock.store.describe(tenant).userCount
        return `<section class="tenant" data-tenant="${escapeHtml(id)}">
<h3>${escapeHtml(tenant.name)} <span class="meta">${escapeHtml(vendor.name)} tenant <code>${escapeHtml(tenant.id)}</code> · ${users.toLocaleString('en-US')} users</span></h3>
<table>${card.credentials.map((c) => `<tr><td>${escapeHtml(c.label)}</td><td><code>${escapeHtml(c.value)}</code></td></tr>`).join('')}</table>
<button data-card="${index}" data-out="out-${escapeHtml(id)}" data-status="status-${escapeHtml(id)}">${escapeHtml(card.tryIt.label)}</button><span class="status" id="status-${escapeHtml(id)}"></span>
<pre id="out-${escapeHtml(id)}" class="response" aria-live="polite"></pre>
<details><summary>curl</summary><pre>${escapeHtml(card.curl.join('\n\n'))}</pre></details>
</section>`
      }).join('\n')
      return `<h2>${escapeHtml(vendor.title ?? vendor.name)} <span class="meta">mounted at <code>${escapeHtml(base + vendor.mount)}</code></span></h2>\n${body}`
    }).join('\n')

    const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>users-api-mock sandbox</title><style>${STYLE}</style></head>
<body><header><h1>users-api-mock <span class="meta">${escapeHtml(PACKAGE_VERSION)}</span></h1>
<p>SAP Concur and iSpring Learn user-directory APIs, emulated for integration tests, CI and demos. These are development credentials: nothing here reaches a real vendor.</p>
<p><a href="/docs">API docs (Swagger UI)</a>${documents.map((d) => `<a href="/openapi/${escapeHtml(d.name)}.json">${escapeHtml(d.name)}.json</a>`).join('')}<a href="/__admin/tenants">tenants (admin JSON)</a><a href="/health">health</a></p></header>
<main>${sections}</main>
<script type="application/json" id="cards">${scriptJson(cards)}</script>
<script>${SCRIPT}</script></body></html>`
    return await reply.type('text/html; charset=utf-8').send(html)
  })
}
