'use strict'
// Adobe's aio libraries with no patch of any kind, in their default environment (prod): aio-lib-ims mints a
// server-to-server token at https://ims-na1.adobelogin.com (the way aio apps do: a context, then getToken), and
// aio-lib-console reads the org, its projects, workspaces and credentials at https://developers.adobe.io.
// One line per call: "OK <call> <detail>" or "FAIL <call> <error>".
const { context, getToken } = require('@adobe/aio-lib-ims')
const console_ = require('@adobe/aio-lib-console')

let failures = 0
async function step (op, fn) {
  try {
    console.log(`OK ${op} ${await fn()}`)
  } catch (e) {
    failures++
    console.log(`FAIL ${op} ${(e && e.message) || e}`)
  }
}

async function main () {
  const env = process.env
  let token, client, orgs, projects, workspaces
  await step('ims-token', async () => {
    await context.set('kiln', {
      client_id: env.CLIENT_ID,
      client_secrets: [env.CLIENT_SECRET],
      technical_account_id: 'kiln-test@techacct.adobe.com',
      technical_account_email: 'kiln-test@techacct.adobe.com',
      ims_org_id: env.ORG_CODE,
      scopes: ['openid', 'AdobeID', 'read_organizations', 'additional_info.projectedProductContext', 'additional_info.roles', 'adobeio_api', 'read_client_secret', 'manage_client_secrets']
    })
    token = await getToken('kiln')
    return `${token.split('.').length === 3 ? 'jwt' : 'opaque'} ${token.length} chars`
  })
  await step('console-init', async () => {
    client = await console_.init(token, env.CLIENT_ID)
    return client.env
  })
  await step('getOrganizations', async () => {
    orgs = (await client.getOrganizations()).body
    return orgs.map(o => `${o.id}:${o.code}`).join(',')
  })
  await step('getProjectsForOrg', async () => {
    projects = (await client.getProjectsForOrg(env.ORG_ID)).body
    return projects.map(p => p.id).join(',')
  })
  await step('getWorkspacesForProject', async () => {
    workspaces = (await client.getWorkspacesForProject(env.ORG_ID, env.PROJECT_ID)).body
    return workspaces.map(w => `${w.id}:${w.name}`).join(',')
  })
  await step('getCredentials', async () => {
    const credentials = (await client.getCredentials(env.ORG_ID, env.PROJECT_ID, env.WORKSPACE_ID)).body
    return credentials.map(c => `${c.id_integration}:${c.client_id}`).join(',')
  })
}

main().then(() => process.exit(failures ? 1 : 0), e => { console.log(`FAIL main ${e && e.stack}`); process.exit(1) })
