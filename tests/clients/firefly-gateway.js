'use strict'
// Adobe's Firefly SDK (@adobe/firefly-apis 2.0.1), unpatched, against Kiln A acting as a Firefly gateway: `kiln trust`
// mapped Adobe's host names to A, and A's org runs on the engine upstream:b, which is Kiln B at $B_URL (plain HTTP on
// the same private loopback). Run by tests/Kiln.E2E.Tests/AdobeHosts/GatewaySdkTests.cs.
//
// Sync: every operation the SDK has (generate, similar, expand, fill, object composite). Async twins, job status and
// cancel: the SDK 2.0.1 has no methods for them, so they go to the same Adobe host with the SDK's own token provider
// and Node's fetch. For each operation one line "RESULT {json}": A's outputs (seed, URL, SHA-256 of the bytes fetched
// from that URL), B's outputs for the same request sent straight to B with A's seeds, and B's usage count for that
// operation before and after A's call (so the request was rendered on B, once). "FAIL <op> <error>" on any error.
const crypto = require('crypto')
const fs = require('fs')
const { FireflyClient } = require('@adobe/firefly-apis')
const { ServerToServerTokenProvider } = require('@adobe/firefly-services-common-apis')

const { CLIENT_ID: clientId, CLIENT_SECRET: clientSecret, B_URL: bUrl, B_CLIENT_ID: bClientId, B_CLIENT_SECRET: bSecret, B_ORG_ID: bOrg, A_LOG: aLog } = process.env
const ADOBE = 'https://firefly-api.adobe.io'
const IO_SCOPES = 'AdobeID,openid,read_organizations,additional_info.projectedProductContext,additional_info.roles,adobeio_api'
let failures = 0

async function step (op, fn) {
  try {
    console.log('RESULT ' + JSON.stringify({ op, ...(await fn()) }))
  } catch (e) {
    failures++
    const body = e && e.body ? ' ' + JSON.stringify(e.body) : ''
    const cause = e && e.cause ? ` (cause: ${e.cause.code || e.cause.message || e.cause})` : ''
    console.log(`FAIL ${op} ${(e && e.message) || e}${cause}${body}`)
  }
}

const sha256 = bytes => crypto.createHash('sha256').update(bytes).digest('hex')
const sleep = ms => new Promise(resolve => setTimeout(resolve, ms))

async function bytesAt (url) {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  return Buffer.from(await res.arrayBuffer())
}

async function json (res, status, what) {
  const body = await res.json()
  if (res.status !== status) throw new Error(`${what}: ${res.status} ${JSON.stringify(body)}`)
  return body
}

// Each output's seed, URL and the hash of the bytes behind the URL.
async function outputs (result) {
  return Promise.all(result.outputs.map(async o => ({ seed: o.seed, url: o.image.url, sha: sha256(await bytesAt(o.image.url)) })))
}

// B, straight: its own credential, its own tokens.
async function bToken (scope) {
  const res = await fetch(`${bUrl}/ims/token/v3`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', client_id: bClientId, client_secret: bSecret, scope })
  })
  return (await json(res, 200, 'B token')).access_token
}

async function main () {
  const ff = new FireflyClient({ clientId, clientSecret })
  const aTokens = new ServerToServerTokenProvider({ clientId, clientSecret, scopes: 'firefly_api,ff_apis' }, { autoRefresh: true })
  const aHeaders = async () => ({ Authorization: `Bearer ${await aTokens.getToken()}`, 'x-api-key': clientId, 'Content-Type': 'application/json' })
  const bHeaders = { Authorization: `Bearer ${await bToken('openid,AdobeID,firefly_api,ff_apis')}`, 'x-api-key': bClientId }
  const bConsole = { Authorization: `Bearer ${await bToken(IO_SCOPES)}`, 'x-api-key': bClientId }

  async function bRequests (op) {
    const res = await fetch(`${bUrl}/console/organizations/${bOrg}/usage?groupBy=operation`, { headers: bConsole })
    const usage = await json(res, 200, 'B usage')
    return usage.rows.filter(r => r.operation === op).reduce((n, r) => n + r.requests, 0)
  }

  async function bUpload (bytes) {
    const res = await fetch(`${bUrl}/v2/storage/image`, { method: 'POST', headers: { ...bHeaders, 'Content-Type': 'image/jpeg' }, body: bytes })
    return (await json(res, 200, 'B upload')).images[0].id
  }

  // The same request straight to B, with the seeds A answered with (async: a job on B, polled to its end).
  async function onB (op, body, seeds, isAsync) {
    const headers = { ...bHeaders, 'Content-Type': 'application/json' }
    const res = await fetch(`${bUrl}/v3/images/${op}${isAsync ? '-async' : ''}`, { method: 'POST', headers, body: JSON.stringify({ ...body, seeds }) })
    if (!isAsync) return outputs(await json(res, 200, `B ${op}`))
    const job = await json(res, 202, `B ${op}-async`)
    return outputs((await poll(job.statusUrl, bHeaders)).result)
  }

  async function poll (statusUrl, headers) {
    for (let i = 0; i < 240; i++) {
      const status = await json(await fetch(statusUrl, { headers: typeof headers === 'function' ? await headers() : headers }), 200, 'status')
      if (status.status === 'succeeded') return status
      if (status.status === 'failed' || status.status === 'canceled') throw new Error(`job ${JSON.stringify(status)}`)
      await sleep(200)
    }
    throw new Error(`${statusUrl} did not finish in 48 s`)
  }

  // The input image comes from A itself (a generate through the SDK); it is uploaded to A through the SDK and to B.
  const { result: first } = await ff.generateImages({ prompt: 'a bowl of fruit on a wooden table', size: { width: 1024, height: 1024 } })
  const image = await bytesAt(first.outputs[0].image.url)
  const aIds = { image: (await ff.upload(new Blob([image], { type: 'image/jpeg' }))).result.images[0].id }
  aIds.mask = (await ff.upload(new Blob([image], { type: 'image/jpeg' }))).result.images[0].id
  const bIds = { image: await bUpload(image) }
  bIds.mask = await bUpload(image)

  const ops = {
    generate: { call: b => ff.generateImages(b), body: () => ({ prompt: 'a lighthouse at dusk', numVariations: 2, size: { width: 1024, height: 1024 } }) },
    'generate-similar': { call: b => ff.generateSimilarImages(b), body: ids => ({ image: { source: { uploadId: ids.image } }, size: { width: 1024, height: 1024 } }) },
    expand: { call: b => ff.expandImage(b), body: ids => ({ image: { source: { uploadId: ids.image } }, size: { width: 1344, height: 768 } }) },
    fill: { call: b => ff.fillImage(b), body: ids => ({ image: { source: { uploadId: ids.image }, mask: { uploadId: ids.mask } }, prompt: 'a garden' }) },
    'generate-object-composite': {
      call: b => ff.generateObjectComposite(b),
      body: ids => ({ prompt: 'a kitchen table', image: { source: { uploadId: ids.image }, mask: { uploadId: ids.mask } }, size: { width: 1024, height: 1024 } })
    }
  }
  // The async specs' bodies (fill's mask sits beside the image there).
  const asyncBodies = {
    generate: ids => ops.generate.body(ids),
    'generate-similar': ids => ops['generate-similar'].body(ids),
    expand: ids => ops.expand.body(ids),
    fill: ids => ({ image: { source: { uploadId: ids.image } }, mask: { source: { uploadId: ids.mask } }, prompt: 'a garden', size: { width: 1024, height: 1024 } }),
    'generate-object-composite': ids => ops['generate-object-composite'].body(ids)
  }

  for (const [op, o] of Object.entries(ops)) {
    await step(op, async () => {
      const before = await bRequests(op)
      const { result } = await o.call(o.body(aIds))
      const after = await bRequests(op)
      const a = await outputs(result)
      return { mode: 'sync', before, after, a, b: await onB(op, o.body(bIds), a.map(x => x.seed), false) }
    })
  }

  for (const [op, body] of Object.entries(asyncBodies)) {
    await step(op + '-async', async () => {
      const before = await bRequests(op)
      const submit = await fetch(`${ADOBE}/v3/images/${op}-async`, { method: 'POST', headers: await aHeaders(), body: JSON.stringify(body(aIds)) })
      const job = await json(submit, 202, 'submit')
      const status = await poll(job.statusUrl, aHeaders)
      const after = await bRequests(op)
      const a = await outputs(status.result)
      return { mode: 'async', statusUrl: job.statusUrl, before, after, a, b: await onB(op, body(bIds), a.map(x => x.seed), true) }
    })
  }

  // Cancel: a four-image job, canceled on A once A says which job it started on B; B's job must then be canceled too.
  await step('cancel', async () => {
    const submit = await fetch(`${ADOBE}/v3/images/generate-async`, {
      method: 'POST', headers: await aHeaders(), body: JSON.stringify({ prompt: 'a slow one', numVariations: 4, size: { width: 2048, height: 2048 } })
    })
    const job = await json(submit, 202, 'submit')
    const line = new RegExp(`Job ${job.jobId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} runs upstream on b as (\\S+)`)
    let bJob
    for (let i = 0; i < 400 && !bJob; i++) {
      const m = line.exec(fs.readFileSync(aLog, 'utf8'))
      if (m) bJob = m[1]
      else await sleep(25)
    }
    if (!bJob) throw new Error(`A never said which job it started on B for ${job.jobId}`)
    const canceled = await json(await fetch(job.cancelUrl, { method: 'PUT', headers: await aHeaders() }), 200, 'cancel')
    const onA = await json(await fetch(job.statusUrl, { headers: await aHeaders() }), 200, 'status')
    let onBStatus
    for (let i = 0; i < 40; i++) {
      onBStatus = await json(await fetch(`${bUrl}/v3/status/${encodeURIComponent(bJob)}`, { headers: bHeaders }), 200, 'B status')
      if (onBStatus.status !== 'running' && onBStatus.status !== 'pending') break
      await sleep(250)
    }
    return { mode: 'cancel', cancelUrl: job.cancelUrl, canceled: canceled.status, onA: onA.status, bJob, onB: onBStatus.status }
  })
}

main().then(() => process.exit(failures ? 1 : 0), e => { console.log(`FAIL main ${e && e.stack}`); process.exit(1) })
