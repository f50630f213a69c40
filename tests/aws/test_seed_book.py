"""The Zappa book's settings (seed 004, chapter 11, with chapter 9's events)
on the fake AWS (issue 13): zappa_settings.json as the book writes it loads
with no refusal and the dev, dev_iam, dev_xray and dev_vpc stages deploy with
every part present — remote_env, api_key_required with the book's api_key,
dead_letter_arn, events, keep_warm, domain with certificate_arn, X-Ray, VPC.

What differs from the book, and why:
- runtime python3.6 → python3.12: Lambda no longer creates python3.6
  functions, and hoist says so (asserted below);
- certificate_arn, api_key: the book's values name objects in the author's
  account; here an ACM certificate imported into the fake and the id of an
  API key made in the fake (Zappa's api_key is an API key id);
- profile "default" comes from a credentials file in the test's HOME, with
  the book's region, ap-south-1.
"""
import json
import urllib.error
import urllib.request

from aws_helpers import ACCOUNT, AKID, SECRET, state
import zappa_layout

REGION = "ap-south-1"
DOMAIN = "random-quote.abdulwahid.info"
CONFIG = {"Mashape_API_Endpoint": "https://andruxnet-random-famous-quotes.p.mashape.com/",
          "X_Mashape_Key": "XXXXXXXXXXXXXXXXXXXXXXXXXXXX"}
DLQ = f"arn:aws:sns:{REGION}:{ACCOUNT}:UnhandledException"

RESOURCES = '''import json, os


def api(environ, start_response):
    """Stands in for the book's Falcon API: shows what the quote code reads."""
    body = json.dumps({"endpoint": os.environ.get("Mashape_API_Endpoint"),
                       "key_set": bool(os.environ.get("X_Mashape_Key")),
                       "path": environ.get("PATH_INFO")}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]
'''
SCHEDULERS = '''def set_quote_of_the_day(event, context):
    return "set"


def publish_quote_of_the_day(event, context):
    return "published"
'''


def book_settings(cert_arn, api_key_id):
    base = {"app_function": "resources.api", "profile_name": "default",
            "project_name": "chapter11", "runtime": "python3.12",
            "s3_bucket": "zappa-ss0sm7k4r",
            "remote_env": "s3://book-configs/chapter-11-config.json"}
    return {
        "dev": dict(base, domain=DOMAIN, certificate_arn=cert_arn, api_key_required=True,
                    api_key=api_key_id, dead_letter_arn=DLQ,
                    events=[{"function": "schedulers.set_quote_of_the_day",
                             "expression": "cron(0 12 * * ? *)"},
                            {"function": "schedulers.publish_quote_of_the_day",
                             "expression": "cron(0 2 * * ? *)"}]),
        "dev_iam": dict(base, domain="random-quote-iam.abdulwahid.info",
                        certificate_arn=cert_arn, iam_authorization=True),
        "dev_xray": dict(base, xray_tracing=True),
        "dev_vpc": dict(base, vpc_config={"SubnetIds": ["subnet-1b10a072", "subnet-6303f22e"],
                                          "SecurityGroupIds": ["sg-892c4be0"]}),
    }


def env_for_profile(aws_env, tmp_path):
    creds, cfg = tmp_path / "aws-credentials", tmp_path / "aws-config"
    creds.write_text(f"[default]\naws_access_key_id = {AKID}\naws_secret_access_key = {SECRET}\n")
    cfg.write_text(f"[default]\nregion = {REGION}\n")
    return dict(aws_env, AWS_ACCESS_KEY_ID=None, AWS_SECRET_ACCESS_KEY=None, AWS_REGION=None,
                AWS_DEFAULT_REGION=None, AWS_SHARED_CREDENTIALS_FILE=str(creds),
                AWS_CONFIG_FILE=str(cfg))


def get(fake_aws, url, path="/", headers=None):
    host, stage = url.split("/")[2], url.split("/")[3]
    req = urllib.request.Request(f"{fake_aws.url}/{stage}{path}",
                                 headers=dict({"Host": host}, **(headers or {})))
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def test_book_settings_load_and_deploy(run, aws_env, aws_project, fake_aws, boto, tmp_path):
    s3 = boto("s3", region=REGION)
    s3.create_bucket(Bucket="book-configs",
                     CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket="book-configs", Key="chapter-11-config.json", Body=json.dumps(CONFIG))
    cert = zappa_layout.domain_cert(boto, DOMAIN)
    zone = boto("route53").create_hosted_zone(Name="abdulwahid.info.",      # chapter 8
                                              CallerReference="book")["HostedZone"]["Id"]
    key = boto("apigateway", region=REGION).create_api_key(name="book", enabled=True,
                                                           value="yEddw9WeMH2UIZXHcaHQb1Wvbind")
    d = aws_project()
    (d / "hoist.json").unlink()
    (d / "resources.py").write_text(RESOURCES)
    (d / "schedulers.py").write_text(SCHEDULERS)
    book = book_settings(cert, key["id"])
    env = env_for_profile(aws_env, tmp_path)

    # as printed in the book, runtime python3.6 is the one refusal: Lambda's
    (d / "zappa_settings.json").write_text(json.dumps(dict(book, dev=dict(book["dev"],
                                                                        runtime="python3.6"))))
    r = run(["settings", "dev"], cwd=d, env=env)
    assert r.returncode == 2 and "runtime: 'python3.6' is not one of" in r.stderr
    (d / "zappa_settings.json").write_text(json.dumps(book, indent=2))
    for stage in book:
        r = run(["settings", stage], cwd=d, env=env)
        assert r.returncode == 0, r.stderr
        assert "warning" not in r.stderr, r.stderr

    urls = {}
    for stage in ("dev", "dev_iam", "dev_xray", "dev_vpc"):
        r = run(["deploy", stage], cwd=d, env=env, timeout=180)
        assert r.returncode == 0, (stage, r.stderr)
        urls[stage] = r.stdout.strip()
        assert urls[stage].startswith("https://") and f".{REGION}." in urls[stage]
    r = run(["certify", "dev"], cwd=d, env=env, timeout=180)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == f"https://{DOMAIN}"

    st = state(fake_aws)
    fns = st["lambda"]
    assert sorted(fns) == ["chapter11-dev", "chapter11-dev-iam", "chapter11-dev-vpc",
                           "chapter11-dev-xray"]
    dev = fns["chapter11-dev"]["config"]
    assert dev["DeadLetterConfig"] == {"TargetArn": DLQ} and dev["Runtime"] == "python3.12"
    assert fns["chapter11-dev-xray"]["config"]["TracingConfig"] == {"Mode": "Active"}
    assert fns["chapter11-dev-vpc"]["config"]["VpcConfig"]["SecurityGroupIds"] == ["sg-892c4be0"]
    assert sorted(fns["chapter11-dev-vpc"]["config"]["VpcConfig"]["SubnetIds"]) == \
        ["subnet-1b10a072", "subnet-6303f22e"]

    def grants(fn):
        role = st["iam_roles"][f"{fn}-HoistLambdaExecutionRole"]
        doc = json.loads(role["policies"]["hoist-permissions"])
        return {(a, s["Resource"]) for s in doc["Statement"] for a in s["Action"]}

    for fn in fns:   # every stage's role may read exactly the remote_env object
        assert ("s3:GetObject", "arn:aws:s3:::book-configs/chapter-11-config.json") in grants(fn)
    assert ("sns:Publish", DLQ) in grants("chapter11-dev")
    assert ("xray:PutTraceSegments", "*") in grants("chapter11-dev-xray")
    assert ("ec2:CreateNetworkInterface", "*") in grants("chapter11-dev-vpc")

    # the app sees remote_env; api_key_required with the book's key
    status, _ = get(fake_aws, urls["dev"], "/")
    assert status == 403
    status, ans = get(fake_aws, urls["dev"], "/", {"x-api-key": "yEddw9WeMH2UIZXHcaHQb1Wvbind"})
    assert status == 200 and ans == {"endpoint": CONFIG["Mashape_API_Endpoint"], "key_set": True,
                                     "path": "/"}
    # iam_authorization: unsigned refused, hoist request signs
    assert get(fake_aws, urls["dev_iam"], "/")[0] == 403
    r = run(["request", "dev_iam", "/quote"], cwd=d, env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["path"] == "/quote"
    assert get(fake_aws, urls["dev_xray"], "/")[1]["key_set"] is True

    # events and keep_warm: the rules, Zappa's lines
    rules = {n for n in boto("events", region=REGION).list_rule_names_by_target(
        TargetArn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:chapter11-dev")["RuleNames"]}
    assert rules == {"chapter11-dev-schedulers-set-quote-of-the-day",
                     "chapter11-dev-schedulers-publish-quote-of-the-day", "chapter11-dev-keep_warm"}
    r = run(["invoke", "dev", "schedulers.set_quote_of_the_day"], cwd=d, env=env)
    assert r.returncode == 0 and "set" in r.stdout, r.stderr

    # the custom domain maps the stage
    ag = boto("apigateway", region=REGION)
    maps = ag.get_base_path_mappings(domainName=DOMAIN)["items"]
    assert [m["stage"] for m in maps] == ["dev"]
    recs = boto("route53").list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    assert (DOMAIN + ".", "A") in {(x["Name"], x["Type"]) for x in recs}

    for stage in ("dev", "dev_iam", "dev_xray", "dev_vpc"):
        r = run(["undeploy", stage, "-y"], cwd=d, env=env, timeout=180)
        assert r.returncode == 0, (stage, r.stderr)
    st = state(fake_aws)
    assert not st["lambda"] and not st["apigateway"]["apis"]
