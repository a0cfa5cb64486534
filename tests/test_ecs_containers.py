"""ECS task definitions in the Kubernetes container model: the container policies find each offending setting at its line."""

from __future__ import annotations

import os

from conftest import FIXTURES
from scanner.api import load, load_graph, scan
from scanner.formats.terraform.ecs import add_containers
from scanner.model import Unknown, is_unknown

CASE = os.path.join(FIXTURES, "cases", "terraform", "ecs")
POLICIES = ["RG-K8S-002", "RG-K8S-019", "RG-K8S-021", "RG-K8S-023", "RG-K8S-025", "RG-K8S-027",
            "RG-K8S-029", "RG-K8S-030", "RG-K8S-032", "RG-K8S-036"]


def test_the_container_policies_apply_to_task_definitions():
    report = scan([CASE], base=CASE, only=POLICIES)
    assert sorted((f.policy_id, f.resource, f.location.start_line) for f in report.findings) == [
        ("RG-K8S-002", "aws_batch_job_definition.etl", 63),   # a privileged Batch container, the same policy
        ("RG-K8S-002", "aws_ecs_task_definition.agent", 6),   # privileged
        ("RG-K8S-019", "aws_ecs_task_definition.agent", 3),   # pid_mode = "host"
        ("RG-K8S-021", "aws_ecs_task_definition.agent", 4),   # network_mode = "host"
        ("RG-K8S-023", "aws_ecs_task_definition.agent", 6),   # user root
        ("RG-K8S-025", "aws_ecs_task_definition.agent", 6),   # capabilities added
        ("RG-K8S-027", "aws_ecs_task_definition.agent", 6),   # SYS_ADMIN
        ("RG-K8S-029", "aws_ecs_task_definition.agent", 27),  # a host path volume
        ("RG-K8S-030", "aws_ecs_task_definition.agent", 27),  # the Docker socket
        ("RG-K8S-032", "aws_ecs_task_definition.agent", 6),   # writable root file system
        ("RG-K8S-032", "aws_ecs_task_definition.computed", 52),  # not set: writable
        ("RG-K8S-036", "aws_ecs_task_definition.agent", 6),   # :latest
    ]


def test_container_model_of_a_task_definition():
    resources = {r.address: r for r in load([CASE], base=CASE).resources}
    agent = resources["aws_ecs_task_definition.agent"].attributes
    assert [c["name"] for c in agent["$containers"]] == ["agent", "sidecar"]
    sidecar = agent["$containers"][1]
    assert sidecar["$effective"] == {"privileged": False, "readOnlyRootFilesystem": True,
                                     "capabilities": {"add": [], "drop": []}, "nonRoot": True}
    assert agent["$pod"] == {"hostPID": True, "hostNetwork": True,
                             "volumes": [{"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}}]}
    web = resources["aws_ecs_task_definition.web"].attributes  # a heredoc JSON string
    assert web["$containers"][0]["$effective"]["capabilities"]["drop"] == ["ALL"]
    assert web["$pod"] == {"hostNetwork": False}
    computed = resources["aws_ecs_task_definition.computed"].attributes  # jsonencode of an unknown image
    assert is_unknown(computed["$containers"][0]["image"])


def test_container_model_of_a_batch_job_definition():
    resources = {r.address: r for r in load([CASE], base=CASE).resources}
    etl = resources["aws_batch_job_definition.etl"]
    [container] = etl.attributes["$containers"]
    assert container["securityContext"] == {"privileged": True}
    assert container["$effective"] == {"privileged": True, "readOnlyRootFilesystem": True,
                                       "capabilities": {"add": [], "drop": []}, "nonRoot": True}
    assert "$pod" not in etl.attributes
    assert etl.lines["$containers.0.securityContext.privileged"] == etl.lines["container_properties"] == 63
    report = scan([CASE], base=CASE, only=["RG-K8S-002"])
    assert [(f.resource, f.location.start_line) for f in report.findings
            if f.resource.startswith("aws_batch")] == [("aws_batch_job_definition.etl", 63)]


def test_batch_container_properties_known_only_at_apply_or_not_one_container():
    unknown: dict = {"container_properties": Unknown("computed")}
    add_containers("aws_batch_job_definition", unknown, {"container_properties": 4})
    assert is_unknown(unknown["$containers"]) and "container properties" in str(unknown["$containers"])
    assert "$pod" not in unknown
    listed: dict = {"container_properties": '[{"image": "app:1", "privileged": true}]'}  # a task's shape
    add_containers("aws_batch_job_definition", listed, {})
    assert "$containers" not in listed
    single: dict = {"container_definitions": '{"image": "app:1"}'}  # a Batch job's shape on a task
    add_containers("aws_ecs_task_definition", single, {})
    assert "$containers" not in single and "$pod" in single


def test_whether_a_task_definition_runs_as_its_execution_role():
    case = os.path.join(FIXTURES, "RG-AWS-132")
    facts = {}
    for kind in ("fail", "pass"):
        graph = load_graph([os.path.join(case, kind)])
        for address, data in graph.nodes(data=True):
            r = data.get("resource")
            if r is not None and r.type == "aws_ecs_task_definition":
                facts[address] = r.attributes.get("$execution_role_is_task_role", "absent")
    assert facts == {
        "aws_ecs_task_definition.api": True,          # both reference aws_iam_role.ecs
        "aws_ecs_task_definition.literal": True,      # the same literal ARN
        "aws_ecs_task_definition.separate": False,    # two different roles
        "aws_ecs_task_definition.no_task_role": "absent",
        "aws_ecs_task_definition.unknown": "absent",  # a variable without a value: not compared
    }


def test_container_definition_keys_are_read_regardless_of_case():
    case = os.path.join(FIXTURES, "cases", "terraform", "ecs_keys")
    td = {r.address: r for r in load([case], base=case).resources}["aws_ecs_task_definition.capitalised"]
    [container] = td.attributes["$containers"]
    assert (container["name"], container["image"]) == ("app", "app:1.0")
    assert container["$effective"] == {"privileged": True, "readOnlyRootFilesystem": True,
                                       "capabilities": {"add": [], "drop": ["ALL"]}, "nonRoot": False}
    report = scan([case], base=case, only=["RG-K8S-002", "RG-K8S-032"])
    assert [(f.policy_id, f.location.start_line) for f in report.findings] == [("RG-K8S-002", 4)]


def test_a_heredoc_interpolating_apply_time_values_inside_strings_is_still_read(tmp_path):
    """The JSON around ``"${aws_ssm_parameter.db.arn}"`` is known: the containers are read, that string unknown.

    Found on futurice/terraform-examples: such a heredoc left every container unknown, so a writable
    root file system went unreported. An interpolation outside a string leaves no JSON: unknown.
    """
    (tmp_path / "main.tf").write_text('''resource "aws_ssm_parameter" "db" {
  name  = "/app/db"
  type  = "SecureString"
  value = "x"
}

resource "aws_ecs_task_definition" "app" {
  family                = "app"
  container_definitions = <<EOT
[{"name": "app", "image": "wordpress:6.4",
  "secrets": [{"name": "DB_PASSWORD", "valueFrom": "${aws_ssm_parameter.db.arn}"}]}]
EOT
}

variable "cpu" {}

resource "aws_ecs_task_definition" "unparsable" {
  family                = "unparsable"
  container_definitions = <<EOT
[{"name": "app", "image": "wordpress:6.4", "cpu": ${var.cpu}}]
EOT
}
''')
    resources = {r.address: r for r in load([str(tmp_path)], base=str(tmp_path)).resources}
    [app] = resources["aws_ecs_task_definition.app"].attributes["$containers"]
    assert (app["name"], app["image"], app["$effective"]["readOnlyRootFilesystem"]) == ("app", "wordpress:6.4", False)
    assert is_unknown(resources["aws_ecs_task_definition.unparsable"].attributes["$containers"])
    report = scan([str(tmp_path)], base=str(tmp_path), only=["RG-K8S-032"])
    assert [(f.resource, f.location.start_line) for f in report.findings] == [("aws_ecs_task_definition.app", 9)]
    assert report.stats["undetermined"] == 1
