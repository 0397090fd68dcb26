"""sign.py ENDPOINT OP BODY KEY_ID SECRET [send|show]: signs one Secrets Manager
request with SigV4 (us-east-1). With `send`, sends it once and checks for 200
(`show` also prints the answer); otherwise
prints a wrk Lua script that replays it (signatures stay valid for 15 minutes and
the server verifies every copy in full)."""
import datetime, hashlib, hmac, json, sys
endpoint, op, body, key_id, secret = sys.argv[1:6]
now = datetime.datetime.now(datetime.timezone.utc)
amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
host = endpoint.split("://", 1)[1]
h = {"content-type": "application/x-amz-json-1.1", "host": host, "x-amz-date": amz,
     "x-amz-target": "secretsmanager." + op}
signed = ";".join(sorted(h))
canon = "\n".join(["POST", "/", "", "".join(f"{k}:{h[k]}\n" for k in sorted(h)), signed,
                   hashlib.sha256(body.encode()).hexdigest()])
scope = f"{day}/us-east-1/secretsmanager/aws4_request"
sts = "\n".join(["AWS4-HMAC-SHA256", amz, scope, hashlib.sha256(canon.encode()).hexdigest()])
k = ("AWS4" + secret).encode()
for part in (day, "us-east-1", "secretsmanager", "aws4_request"):
    k = hmac.new(k, part.encode(), hashlib.sha256).digest()
sig = hmac.new(k, sts.encode(), hashlib.sha256).hexdigest()
h["authorization"] = f"AWS4-HMAC-SHA256 Credential={key_id}/{scope}, SignedHeaders={signed}, Signature={sig}"
del h["host"]
if len(sys.argv) > 6 and sys.argv[6] in ("send", "show"):
    import urllib.request
    req = urllib.request.Request(endpoint + "/", data=body.encode(), headers=h, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        assert r.status == 200, r.status
        if sys.argv[6] == "show":
            print(r.read().decode())
    sys.exit(0)
lua = ['wrk.method = "POST"', "wrk.body = " + json.dumps(body)]
lua += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in h.items()]
print("\n".join(lua))
