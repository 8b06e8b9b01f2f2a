'use strict'
// Adobe's Firefly SDK (@adobe/firefly-apis) with no patch of any kind: it calls https://firefly-api.adobe.io, and its
// token provider https://ims-na1.adobelogin.com, both hard-coded. Run by tests/Kiln.E2E.Tests/AdobeHosts inside a
// namespace where `kiln trust` mapped those names to Kiln. Every SDK operation Kiln serves (all but video), then the
// async twins and their status (the SDK 2.0.1 has no methods for them: they go with the SDK's own token provider and
// Node's fetch, to the same Adobe host). One line per operation: "OK <op> <detail>" or "FAIL <op> <error>".
const { FireflyClient } = require('@adobe/firefly-apis')
const { ServerToServerTokenProvider } = require('@adobe/firefly-services-common-apis')

const clientId = process.env.CLIENT_ID
const clientSecret = process.env.CLIENT_SECRET
let failures = 0

async function step (op, fn) {
  try {
    console.log(`OK ${op} ${await fn()}`)
  } catch (e) {
    failures++
    const body = e && e.body ? ' ' + JSON.stringify(e.body) : ''
    const cause = e && e.cause ? ` (cause: ${e.cause.code || e.cause.message || e.cause})` : ''
    console.log(`FAIL ${op} ${(e && e.message) || e}${cause}${body}`)
  }
}

async function jpegAt (url) {
  const res = await fetch(url)
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`)
  const bytes = Buffer.from(await res.arrayBuffer())
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error(`GET ${url}: not a JPEG`)
  return bytes
}

function firstUrl (result) {
  const url = result.outputs[0].image.url
  if (!url.startsWith('https://firefly-api.adobe.io/')) throw new Error(`image URL not at the Adobe host: ${url}`)
  return url
}

async function main () {
  const ff = new FireflyClient({ clientId, clientSecret })
  let image, uploadId, maskId

  await step('generate', async () => {
    const { result } = await ff.generateImages({ prompt: 'a realistic illustration of a cat coding', size: { width: 1024, height: 1024 } })
    image = await jpegAt(firstUrl(result))
    return `${result.size.width}x${result.size.height} ${image.length} bytes`
  })
  await step('upload', async () => {
    const { result } = await ff.upload(new Blob([image], { type: 'image/jpeg' }))
    uploadId = result.images[0].id
    maskId = (await ff.upload(new Blob([image], { type: 'image/jpeg' }))).result.images[0].id
    return uploadId
  })
  const src = () => ({ uploadId })
  await step('similar', async () => {
    const { result } = await ff.generateSimilarImages({ image: { source: src() }, size: { width: 1024, height: 1024 } })
    return `${(await jpegAt(firstUrl(result))).length} bytes`
  })
  await step('expand', async () => {
    const { result } = await ff.expandImage({ image: { source: src() }, size: { width: 1344, height: 768 } })
    return `${result.size.width}x${result.size.height} ${(await jpegAt(firstUrl(result))).length} bytes`
  })
  await step('fill', async () => {
    const { result } = await ff.fillImage({ image: { source: src(), mask: { uploadId: maskId } }, prompt: 'a garden' })
    return `${(await jpegAt(firstUrl(result))).length} bytes`
  })
  await step('object-composite', async () => {
    const { result } = await ff.generateObjectComposite({ prompt: 'a kitchen table', image: { source: src(), mask: { uploadId: maskId } }, size: { width: 1024, height: 1024 } })
    return `${(await jpegAt(firstUrl(result))).length} bytes`
  })

  // Async twins and status: Adobe's async specs, same host, same token provider as the SDK's.
  const tokens = new ServerToServerTokenProvider({ clientId, clientSecret, scopes: 'firefly_api,ff_apis' }, { autoRefresh: true })
  const bodies = {
    'generate-async': { prompt: 'a lighthouse at dusk', size: { width: 1024, height: 1024 } },
    'generate-similar-async': { image: { source: src() }, size: { width: 1024, height: 1024 } },
    'expand-async': { image: { source: src() }, size: { width: 1344, height: 768 } },
    'fill-async': { image: { source: src() }, mask: { source: { uploadId: maskId } }, size: { width: 1024, height: 1024 } },
    'generate-object-composite-async': { prompt: 'a kitchen table', image: { source: src() }, size: { width: 1024, height: 1024 } }
  }
  for (const [op, body] of Object.entries(bodies)) {
    await step(op, async () => {
      const headers = { Authorization: `Bearer ${await tokens.getToken()}`, 'x-api-key': clientId, 'Content-Type': 'application/json' }
      const submit = await fetch(`https://firefly-api.adobe.io/v3/images/${op}`, { method: 'POST', headers, body: JSON.stringify(body) })
      const job = await submit.json()
      if (submit.status !== 202) throw new Error(`submit ${submit.status} ${JSON.stringify(job)}`)
      if (!job.statusUrl.startsWith('https://firefly-api.adobe.io/v3/status/')) throw new Error(`statusUrl not at the Adobe host: ${job.statusUrl}`)
      for (let i = 0; i < 240; i++) {
        const res = await fetch(job.statusUrl, { headers })
        const status = await res.json()
        if (res.status !== 200) throw new Error(`status ${res.status} ${JSON.stringify(status)}`)
        if (status.status === 'succeeded') return `${status.status} ${(await jpegAt(firstUrl(status.result))).length} bytes`
        if (status.status === 'failed' || status.status === 'canceled') throw new Error(`job ${JSON.stringify(status)}`)
        await new Promise(resolve => setTimeout(resolve, 250))
      }
      throw new Error('job did not finish in 60 s')
    })
  }
}

main().then(() => process.exit(failures ? 1 : 0), e => { console.log(`FAIL main ${e && e.stack}`); process.exit(1) })
