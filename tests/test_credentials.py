"""Secret detection by place and format: (payload, should_flag) for names, values, text and trees."""

from __future__ import annotations

import pytest

from scanner.credentials import assignments, find, imitates_uuid, literal_credential, name_holds_credential
from scanner.secrets import credential_kind, is_placeholder, mask_in_text


@pytest.mark.parametrize("name, should_flag", [
    ("password", True), ("master_password", True), ("administrator_login_password", True),
    ("DB_PASSWORD", True), ("clientSecret", True), ("client_secret", True), ("api_key", True),
    ("X-Api-Key", True), ("aws_secret_access_key", True), ("private_key", True), ("AUTH_TOKEN", True),
    ("secret_string", True), ("spring.datasource.password", True), ("PGPASSWORD", True), ("db_pwd", True),
    ("secret_name", False), ("password_length", False), ("token_ttl", False), ("secret_arn", False),
    ("s3_key", False), ("hash_key", False), ("roles_key", False), ("PWD", False), ("kms_key_id", False),
    ("password_reset", False), ("name", False), ("description", False),
    ("creation_token", False), ("ClientToken", False), ("next_token", False), ("access_token", True),
])
def test_credential_names(name, should_flag):
    assert bool(name_holds_credential(name)) is should_flag


@pytest.mark.parametrize("name, value, should_flag", [
    ("password", "Winter2024!", True), ("WSREP_SST_PASSWORD", "sst", True), ("password", "ab", False), ("DB_PASSWORD", "hunter2-prod", True), ("token", "abc123xyz", True),
    ("password", "changeme", False), ("password", "${var.db_password}", False), ("password", "<password>", False),
    ("password", "PLACEHOLDER_SET_VIA_UI", False), ("client_secret", "client_secret", False),
    ("password", "****", False), ("password", "", False), ("password", "/run/secrets/db", False),
    ("secret", "internal.example.com", False), ("password", "$DB_PASSWORD", False),
    ("password", "ENC[AES256_GCM,data:abc]", False), ("secret_name", "Winter2024!", False),
    ("GOOGLE_API_KEY", "GOOGLE_API_KEY_VAL", False), ("MYSQL_ROOT_PASSWORD", "fake_password", False),
    ("ETCD_INITIAL_CLUSTER_TOKEN", "INSERT_ETCD_INITIAL_CLUSTER_TOKEN", False),
    ("access_key", "mock_access_key", False), ("GF_SECURITY_ADMIN_PASSWORD", "admin", True),
    ("password", "Hello from Terraform 2", False), ("password", "Tr0ub4dor &3 x", True), ("password", "my secret", True),
    ("vaultpassword", "if_you_see_this_please_use_K8S_and_Vault", False), ("password", "blue_horse_42_x", True),
    ("volume_encryption_key", "alias/aws/workspaces", False), ("encryption_key", "al1as/x9Qv2Lr8Tn4", True),
    # a secret's name in a store, an e-mail address, a script's variable (modernisation-platform-environments)
    ("GOVUK_NOTIFY_API_KEY_SECRET", "ingestion/govuk-notify/api-key", False),
    ("secret_string", "default@email.com", False), ("token", "$token", False),
    ("password", "summer/autumn-9", True), ("password", "user@pass", True),
    ("account_key", "ppud-development", False), ("secret_string", "not-a-real-secret", False),
    # LiteLLM reads them from the environment, or fetches them through OIDC
    ("master_key", "os.environ/PROXY_MASTER_KEY", False), ("AZURE_AD_TOKEN", "oidc/azure/api://ai", False),
    # a secret's or key's name (Fabric FAST's secops stage, modernisation-platform-environments)
    ("secops_api_key_secret_key", "secops-feeds-api-key", False),
    ("TABLE_NAME_SECRET", "cwa-file-transfer-lambda-secret", False),
    ("password", "orders-prod-2024", True), ("api_key", "Orders-Prod-Key-2024", True),
    ("MYSQL_ROOT_PASSWORD", "my-secret-pw", True),   # eks-workshop's catalog database: a password
    ("ACCESS_KEY", "k8s-prod-gke-cluster-key", False),
    ("account_key", "q8Zr2Lx9Vn4Tb7Wc1Ym6Ks3Hd5Gf0Jp8Aa2Ee4Ii6Oo=", True),
    # a connection string holds one when a credential key in it is given a literal (delius-jitbit's template)
    ("secret_string", "user id=;data source=aws_db_instance.jitbit.address;initial catalog=;password=", False),
    ("secret_string", "user id=app;data source=db.internal;initial catalog=orders;password=Orders-2024-prod", True),
    ("secret_string", "host=db.internal;port=5432", False),
    ("secret_string", "Server=db;User Id=sa;Password=changeme;", False),   # a placeholder password
])
def test_literal_credentials(name, value, should_flag):
    assert literal_credential(name, value) is should_flag


@pytest.mark.parametrize("payload, should_flag", [
    ("AKIAIOSFODNN7EXAMPLQ", True), ("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", True),
    ("-----BEGIN RSA PRIVATE KEY-----", True), ("postgres://app:S3cret-pw@db/app", True),
    ("xoxb-1234567890-abcdefghijkl", True),
    ("iam:GetAccountPasswordPolicy", False), ("ForAllValues:StringEquals", False),
    ("google-site-verification=rXOxyZounnZasA8Z7oaD3c14JdjS9aKSWvsR1EbUSIQ", False),
    ("origin-access-identity/cloudfront/E2QWRUHAPOMQZL", False),
    ("Microsoft.ContainerService/managedClusters@2023-05-02-preview", False),
    ("Microsoft.ContainerInstance/containerGroups", False),
    ("Content-Type,X-Amz-Date,Authorization,X-Api-Key,X-Amz-Security-Token", False),
    ("roles/iam.serviceAccountKeyAdmin", False), ("postgres://app@${host}/app", False),
    ("postgres://app:${var.password}@db/app", False), ("3f2c1d9e8b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e", False),
])
def test_known_formats(payload, should_flag):
    assert bool(credential_kind(payload)) is should_flag


@pytest.mark.parametrize("text, found", [
    ("#!/bin/bash\nexport DB_PASSWORD=Orders-2024-prod\n", [("DB_PASSWORD", "Orders-2024-prod")]),
    ("spring.datasource.password=s3cr3t-Pw\n", [("spring.datasource.password", "s3cr3t-Pw")]),
    ("spring.datasource.username=root\nspring.datasource.password=admin\n", [("spring.datasource.password", "admin")]),
    ("run --db-password hunter22 --token=abcd1234", [("--db-password", "hunter22"), ("--token", "abcd1234")]),
    ("export DB_PASSWORD=$(aws secretsmanager get-secret-value --secret-id orders/db)", []),
    ("$password = ConvertTo-SecureString 'x' -AsPlainText", []),
    ("infrastructure/account terraform secret: chainguard_registry_credentials", []),
    ("api_token: {{ .Values.token }}\npassword: ${DB_PASSWORD}", []),
    # program text computing the value (found in a ConfigMap holding Python, kubernetes-engine-samples)
    ('    login(token=os.environ["HUGGING_FACE_HUB_TOKEN"])\npassword = getenv("DB_PW")\n', []),
    ('connect(password="Orders-2024-prod")\n', [("password", "Orders-2024-prod")]),
    # JavaScript and Lua in a template file (futurice/terraform-examples)
    ("const validCredentials = config.basic_auth_username + ':' + config.basic_auth_password;\n", []),
    ('_, _, access_token = auth_header:find("Bearer%s+(.+)")\n', []),
    ("api_token = process.env.API_TOKEN\n", []),
    ("password = Summer-2024.x\n", [("password", "Summer-2024.x")]),
    # /etc/nsswitch.conf in a ConfigMap: where accounts are looked up, not a password
    ("passwd:     compat\nshadow: files\ngroup: compat\nhosts: files dns\n", []),
    ("passwd: compat-2024-Pw\n", [("passwd", "compat-2024-Pw")]),
    # an error message in an API gateway's policy (pagopa/io-infra): a sentence, not an assignment
    ('new JProperty("detail", "Invalid X-Session-Token: must be at least 64 characters"),\n', []),
    ("X-Session-Token: must\n", [("X-Session-Token", "must")]),   # a weak value, on its own: reported
    # a YAML tag naming where the value comes from (recyclarr's !env_var, Home Assistant's !secret)
    ("sonarr:\n  main:\n    api_key: !env_var SONARR_API_KEY\n", []),
    ("password: !secret db_password\n", []),
    ("password: !Tr0ub4dor&3x\n", [("password", "!Tr0ub4dor&3x")]),   # not a tag and a name: reported
    # sudoers' NOPASSWD tag; a PowerShell variable (modernisation-platform-environments user data)
    ("echo 'ssm-user ALL=(ALL) NOPASSWD:ALL' >> /etc/sudoers\n", []),
    ('Invoke-RestMethod -Headers @{"X-aws-ec2-metadata-token" = $token}\n', []),
    # the shell's message for an unset variable (onedr0p/home-ops' sonarr script)
    (': "${SONARR__AUTH__APIKEY:?API key required}"\n', []),
    ('echo "SONARR__AUTH__APIKEY:?API key required"\n', [("SONARR__AUTH__APIKEY", "?API")]),
    # held-out round 10, modernisation-platform-environments: a Helm chart's key in a Secret beside the
    # Secret's name; prose a script prints; PowerShell computing the value; Beaker's cookie name
    ("masterkeySecretName: litellm-master-key\nmasterkeySecretKey: master-key\n", []),
    ("minioSecretKey: master-key-2024\n", [("minioSecretKey", "master-key-2024")]),
    ('echo "Password: Store in Secrets Manager"\n', []),
    ('echo "Password: (from Secrets Manager: ad-admin)"\n', []),
    ("New-ADUser -AccountPassword (ConvertTo-SecureString $Password -AsPlainText -Force)\n", []),
    ("beaker.session.key = linotp\nbeaker.session.secret = q8Zr2Lx9Vn4Tb7Wc\n",
     [("beaker.session.secret", "q8Zr2Lx9Vn4Tb7Wc")]),
    ("password: Store-2024 # in the vault\n", [("password", "Store-2024")]),
    # held-out round 25, a home lab's Helm values: an existing Secret named, and the key it holds the value under
    ("rcon:\n  passwordExistingSecret: minecraft-rcon\n  passwordKey: rcon-password\n", []),
    ("rcon:\n  existingSecret: minecraft-rcon\n  secretKey: rcon-password\n", []),
    ("driver:\n  existingConfigSecret: driver-config\n", []),
    ("rcon:\n  enabled: true\nother:\n  secretKey: Zq81xwAbCdEf9876\n", [("secretKey", "Zq81xwAbCdEf9876")]),
    ("existingPassword: Hunt3r2-Zq81xw\n", [("existingPassword", "Hunt3r2-Zq81xw")]),
    # held-out round 14, terraform-google-gke-gitlab: `secret` beside `key` names a Secret and its key there
    ("psql:\n  password:\n    secret: gitlab-pg\n    key: password\n", []),
    ("connection:\n  key: connection\n  secret: rails-storage-2024\n", []),
    ("- secret: gitlab-pg\n  # the key\n  key: password\n", []),
    # a `key` in another mapping or another list item says nothing of this one
    ("- key: a\n  name: b\n- secret: Gitlab-pg-2024\n", [("secret", "Gitlab-pg-2024")]),
    ("a:\n  key: x\nb:\n  secret: Gitlab-pg-2024\n", [("secret", "Gitlab-pg-2024")]),
    ("a:\n  secret: Gitlab-pg-2024\n  b:\n    key: x\n", [("secret", "Gitlab-pg-2024")]),
    # round 17, MinIO's KES example: a quoted stand-in is judged whole, not up to its first blank
    ('approle:\n  id: "<YOUR APPROLE ID HERE>"\n  secret: "<YOUR APPROLE SECRET ID HERE>"\n', []),
    ('password = "Tr0ub4dor &3x"\n', [("password", "Tr0ub4dor &3x")]),
    # a segment of an ARN (alphagov/govuk-infrastructure's External Secrets policy)
    ("arn:aws:secretsmanager:eu-west-2:\ue000:secret:govuk/*", []),
])
def test_assignments_in_text(text, found):
    assert list(assignments(text)) == found


@pytest.mark.parametrize("hostile", ["[" * 200_000, "[" * 200_000 + "]" * 200_000,
                                     '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_deeply_nested_json_text_is_walked_without_error(hostile):
    assert find({"policy": hostile}) == []


def test_tree_walk_finds_entries_json_and_skips_names():
    tree = {
        "environment": [{"name": "DB_PASSWORD", "value": "Orders-2024"}, {"name": "HOST", "value": "db"}],
        "policy": '{"Statement": [{"Action": "iam:GetAccountPasswordPolicy"}]}',
        "container_definitions": '[{"environment": [{"name": "API_TOKEN", "value": "t0k3n-abc"}]}]',
        "tags": {"secret_name": "orders/db", "password_reset": "enabled"},
    }
    got = [(c.at, c.name, c.value) for c in find(tree)]
    assert got == [("environment.0.value", "DB_PASSWORD", "Orders-2024"),
                   ("container_definitions.0.environment.0.value", "API_TOKEN", "t0k3n-abc")]


@pytest.mark.parametrize("value, should_flag", [
    ("changeme", True), ("<your-password>", True), ("${var.x}", True), ("xxxxxxxx", True),
    ("YOUR_API_KEY_HERE", True), ("Winter2024!", False), ("hunter2-prod", False),
    ("bar", True), ("foobarbaz", True), ("nothing", True), ("barista-2024", False),
    # a vendor's prefix, then what goes after it (kubernetes-engine-samples: NGC_API_KEY: "nvapi-NVKEY")
    ("nvapi-NVKEY", True), ("sk_API_KEY", True), ("nvapi-Xk29dPq7Lm4Rt8Vw2Zy6Bn1Cs5Df0Gh3", False),
    ("prod-HUNTER", False), ("Prod-KEY", False),
    # a seed something else replaces (modernisation-platform-environments, lifecycle ignore_changes)
    ("INITIAL_VALUE_OVERRIDDEN", True), ("initial-value", True), ("managed-outside-terraform", True),
    # "my" and the kind of value (Argo Workflows' example webhook Secret); more than the kind is a value
    ("my-uuid", True), ("my_token", True), ("my-api-key", True), ("my-secret-pw", False), ("my-uuid-2024", False),
    # a stand-in spelled with digits for letters (Rook's registry example); a password in that style stays one
    ("Ple4seCh4ngeThisN0tAVerySecretV4lue", True), ("Ch4ngeM3", True), ("p4ssw0rd", False), ("Sh4rk-B1te-77", False),
])
def test_one_placeholder_list(value, should_flag):
    assert is_placeholder(value) is should_flag


def test_masking_hides_formats_in_any_text():
    text = mask_in_text("key AKIAIOSFODNN7EXAMPLQ and héllo ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789 end", ())
    assert "IOSFODNN7EXAMPLQ" not in text and "aBcDeFgHiJkLmNoPqRsTuVwXyZ" not in text
    assert text.startswith("key AK") and text.endswith(" end") and "héllo gh" in text


@pytest.mark.parametrize("value, should_flag", [
    ("AQBSdFhVwvkVNBAA2lwT7pL7tW6QjmHdb5Q0Ig==", True), ("3f2c1d9e8b7a6f5e4d3c2b1a0f9e8d7c", True),
    ("Zq8mK2vL9pW4xR7tN1bY", True),
    ("my-project:us-central1:orders", False), ("db.shop.svc.cluster.local", False),
    ("ELBSecurityPolicy-TLS13-1-2-2021-06", False), ("aaaaaaaaaaaaaaaaaaaa", False), ("orders", False),
    # a name, then a generated digest (kubernetes-goat's vault key); a name, then a short hex part
    ("k8s-goat-cd2da27224591da2b48ef83826a8a6c3", True), ("orders-db-cd2da272", False),
])
def test_high_entropy_is_a_generated_token(value, should_flag):
    from scanner.secrets import is_high_entropy
    assert is_high_entropy(value) is should_flag


@pytest.mark.parametrize("value, fake", [
    ("8312341g-5678-abcd-4a2b2c-33bcsd655", True),    # a sample's "replace with your access key"
    ("abcdefgh-ijkl-mnop-qrst-uvwxyzabcdef", True),
    ("3f2504e0-4f89-41d3-9a0c-0305e82c3301", False),   # a generated UUID: hexadecimal throughout
    ("3F2504E0-4F89-41D3-9A0C-0305E82C3301", False),
    ("a1b2c3d4-e5f6", False),                          # too few groups to be UUID-shaped
    ("k8s-prod-gke-cluster-2024", False),              # words joined by dashes: not the 8-4-4 shape
])
def test_a_uuid_typed_by_hand_is_no_credential(value, fake):
    assert imitates_uuid(value) is fake
    assert literal_credential("ACCESS_KEY", value) is not fake



def test_a_secret_named_beside_its_key_is_a_reference_in_a_tree():
    # GitLab's chart: password: {secret: <Secret's name>, key: <its key there>}
    assert find({"values": {"password": {"secret": "gitlab-pg", "key": "password"}}}) == []
    # without the key beside it, `secret` holds the value itself
    assert [(c.at, c.value) for c in find({"values": {"password": {"secret": "gitlab-pg"}}})] == [
        ("values.password.secret", "gitlab-pg")]
    # a token's own format is still told
    token = "ghp_" + "Ab1" * 12
    assert [(c.at, c.kind) for c in find({"auth": {"secret": token, "key": "token"}})] == [
        ("auth.secret", "GitHub token")]


def test_an_access_key_beside_its_secret_key_is_the_identifier():
    # MinIO's MINIO_ACCESS_KEY is the root user; MINIO_SECRET_KEY authenticates it (Argo Workflows' quick-start)
    env = [{"name": "MINIO_ACCESS_KEY", "value": "admin"}, {"name": "MINIO_SECRET_KEY", "value": "Hunter-2024x"}]
    assert [(c.at, c.name) for c in find({"env": env})] == [("env.1.value", "MINIO_SECRET_KEY")]
    assert [c.at for c in find({"s3": {"access_key": "backup-user", "secret_key": "Zx9-secret-2024"}})] == [
        "s3.secret_key"]
    # alone, an access key may be the secret itself (an Azure storage account's access key)
    assert [c.at for c in find({"env": env[:1]})] == ["env.0.value"]
    # a secret key of another prefix pairs nothing
    other = [env[0], {"name": "BACKUP_SECRET_KEY", "value": "Hunter-2024x"}]
    assert [c.at for c in find({"env": other})] == ["env.0.value", "env.1.value"]
    # in a token's format it is still reported
    akia = [{"name": "AWS_ACCESS_KEY", "value": "AKIA" + "Q3EGRUKXLBZ7WN2D"}, env[1]]
    assert [c.at for c in find({"env": akia})] == ["env.0.value", "env.1.value"]


def test_the_units_of_token_lifetimes_are_no_tokens():
    # round 21, opg-use-an-lpa: a Cognito client's token_validity_units
    units = {"access_token": "minutes", "id_token": "seconds", "refresh_token": "days"}
    assert find({"token_validity_units": [units]}) == []
    assert [c.at for c in find({"access_token": "Minutes-2024x"})] == ["access_token"]


def test_the_name_of_a_secret_in_a_store_is_no_credential_wherever_it_is_put() -> None:
    """DWP's EMR configuration names the Secrets Manager secret where the metastore's password goes
    (held-out round 26): the name says where the password is, it is not the password."""
    import pickle

    from scanner.cache import unpickle
    from scanner.credentials import find
    from scanner.model import SecretNames

    config = SecretNames('"javax.jdo.option.ConnectionPassword": metastore-analytical-env\n'
                         '"javax.jdo.option.ConnectionUserName": hive\n', {"metastore-analytical-env"})
    assert find({"content": config}) == []
    both = SecretNames(str(config) + 'password: Hunt3r2-Zq81xw\n', config.names)
    assert [(c.name, c.value) for c in find({"content": both})] == [("password", "Hunt3r2-Zq81xw")]
    assert find({"password": SecretNames("metastore-analytical-env", {"metastore-analytical-env"})}) == []
    assert [(c.name, c.value) for c in find({"password": "metastore-analytical-env"})] == \
        [("password", "metastore-analytical-env")]
    again = unpickle(pickle.dumps(config))  # the parse cache and a scan's state keep it as it is
    assert again == config and isinstance(again, SecretNames) and again.names == config.names
