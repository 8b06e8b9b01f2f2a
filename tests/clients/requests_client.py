"""Python requests (Debian's python3-requests, whose CA bundle is the system's) at Adobe's URLs, unchanged.

Run by tests/Kiln.E2E.Tests/AdobeHosts inside a namespace where `kiln trust` mapped Adobe's names to Kiln and put
Kiln's CA in the system trust store. One line per call: "OK <call> <detail>" or "FAIL <call> <error>".
"""
import os
import sys

import requests

env = os.environ
failures = 0


def step(name, fn):
    global failures
    try:
        print(f"OK {name} {fn()}", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure is reported as a line
        failures += 1
        print(f"FAIL {name} {type(e).__name__}: {e}", flush=True)


def token(scope):
    r = requests.post("https://ims-na1.adobelogin.com/ims/token/v3", data={
        "grant_type": "client_credentials", "client_id": env["CLIENT_ID"], "client_secret": env["CLIENT_SECRET"], "scope": scope})
    r.raise_for_status()
    return r.json()["access_token"]


state = {}


def generate():
    state["ff"] = token("openid,AdobeID,firefly_api,ff_apis")
    r = requests.post("https://firefly-api.adobe.io/v3/images/generate",
                      headers={"x-api-key": env["CLIENT_ID"], "Authorization": "Bearer " + state["ff"]},
                      json={"prompt": "a realistic illustration of a cat coding", "size": {"width": 1024, "height": 1024}})
    r.raise_for_status()
    url = r.json()["outputs"][0]["image"]["url"]
    image = requests.get(url)
    image.raise_for_status()
    if not url.startswith("https://firefly-api.adobe.io/") or image.content[:2] != b"\xff\xd8":
        raise ValueError(f"not a JPEG at the Adobe host: {url}")
    return f"{len(image.content)} bytes"


def secrets():
    io = token("AdobeID,openid,read_organizations,adobeio_api,read_client_secret,manage_client_secrets")
    r = requests.get(f"https://api.adobe.io/console/organizations/{env['ORG_ID']}/credentials/{env['CREDENTIAL_ID']}/secrets",
                     headers={"x-api-key": env["CLIENT_ID"], "Authorization": "Bearer " + io})
    r.raise_for_status()
    return f"{len(r.json()['client_secrets'])} secrets"


step("generate", generate)
step("secrets", secrets)
sys.exit(1 if failures else 0)
