"""denied.py ENDPOINT KEY_ID SECRET RATE: sends GetSecretValue for a new secret name
RATE times a second as a principal with no policy, forever: each is denied and
raises an unauthorized_access alert (a new subject every time)."""
import datetime, hashlib, hmac, json, sys, time, urllib.error, urllib.request

endpoint, key_id, secret, rate = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
host = endpoint.split("://", 1)[1]
n = 0
while True:
    n += 1
    body = json.dumps({"SecretId": f"/bench/denied/{n}"})
    now = datetime.datetime.now(datetime.timezone.utc)
    amz, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    h = {"content-type": "application/x-amz-json-1.1", "host": host, "x-amz-date": amz,
         "x-amz-target": "secretsmanager.GetSecretValue"}
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
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint + "/", data=body.encode(), headers=h, method="POST"), timeout=10)
    except urllib.error.HTTPError:
        pass
    time.sleep(1.0 / rate)
