"""Configuration: discovery upwards to the git root, strict validation, and its effect on a scan."""

from __future__ import annotations

import os
import shutil

import pytest

from scanner.cli import main
from scanner.config import ConfigError, find_config, load_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "fixtures")

SHOP = os.path.join(FIXTURES, "cases", "cli", "shop")


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A git-like repository holding a copy of the shop system; cwd is its root."""
    (tmp_path / ".git").mkdir()
    shutil.copytree(SHOP, tmp_path / "shop")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _scan(capsys, *args: str) -> tuple[int, list[tuple[str, str, int]], str]:
    import json

    code = main(["scan", *args, "--format", "json"])
    out, err = capsys.readouterr()
    if code == 2:
        return code, [], err
    found = [(f["policy_id"], f["resource"], f["location"]["start_line"])
             for f in json.loads(out)["findings"] if not f["suppression"]]
    return code, found, err


def test_found_from_a_subdirectory_up_to_the_git_root(repo):
    (repo / ".riskgraph.yaml").write_text("skip: [RG-K8S-002]\n")
    assert find_config(str(repo / "shop" / "k8s")) == str(repo / ".riskgraph.yaml")
    assert find_config(str(repo / "shop" / "k8s" / "app.yaml")) == str(repo / ".riskgraph.yaml")


def test_not_found_above_the_git_root(tmp_path):
    (tmp_path / ".riskgraph.yaml").write_text("skip: [RG-K8S-002]\n")
    inner = tmp_path / "project"
    (inner / ".git").mkdir(parents=True)
    assert find_config(str(inner)) is None


def test_yaml_wins_over_pyproject_and_pyproject_needs_the_table(repo):
    (repo / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert find_config(str(repo)) is None
    (repo / "pyproject.toml").write_text("[tool.riskgraph]\nskip = ['RG-AWS-001']\n")
    assert find_config(str(repo)) == str(repo / "pyproject.toml")
    (repo / ".riskgraph.yml").write_text("skip: []\n")
    assert find_config(str(repo)) == str(repo / ".riskgraph.yml")


def test_settings_change_the_scan(repo, capsys):
    (repo / "policies").mkdir()
    (repo / ".riskgraph.yaml").write_text(
        "only: [RG-AWS-001, RG-AWS-002, RG-K8S-002]\n"
        "skip: [RG-AWS-002]\n"
        "exclude: ['k8s']\n"
        "parameters:\n  RG-AWS-001: {admin_ports: [5432]}\n"
        "policy_dirs: [policies]\n"
        "severity_threshold: critical\n")
    code, found, _ = _scan(capsys, "shop")
    # port 22 is no longer an admin port; k8s/ is excluded; RG-AWS-002 skipped
    assert found == [("RG-AWS-001", "aws_security_group.db", 19)]
    assert code == 0   # the only finding is high, below the configured threshold
    code, found, _ = _scan(capsys, "shop", "--severity-threshold", "high")
    assert code == 1


def test_pyproject_table(repo, capsys):
    (repo / "pyproject.toml").write_text(
        "[tool.riskgraph]\nonly = ['RG-K8S-002']\nframeworks = ['cis-kubernetes']\n")
    code, found, _ = _scan(capsys, "shop")
    assert (code, found) == (1, [("RG-K8S-002", "k8s:apps/Deployment/shop/storefront", 17)])
    code, found, _ = _scan(capsys, "shop", "--no-config", "--only", "RG-AWS-002")
    assert found == [("RG-AWS-002", "aws_db_instance.orders", 29)]


def test_unknown_key_in_yaml_names_file_key_and_line(repo, capsys):
    (repo / ".riskgraph.yaml").write_text("skip: [RG-AWS-001]\nseverity: high\n")
    code, _, err = _scan(capsys, "shop")
    assert code == 2
    assert f"{repo / '.riskgraph.yaml'}:2" in err and "unknown key 'severity'" in err


def test_unknown_key_in_pyproject_names_the_table(repo, capsys):
    (repo / "pyproject.toml").write_text("[tool.riskgraph]\nexclude = ['x']\nbogus = 1\n")
    code, _, err = _scan(capsys, "shop")
    assert code == 2
    assert str(repo / "pyproject.toml") in err and "tool.riskgraph" in err and "'bogus'" in err


def test_wrong_type_and_bad_value(repo):
    (repo / ".riskgraph.yaml").write_text("exclude: vendor\n")
    with pytest.raises(ConfigError, match="at exclude"):
        load_config(str(repo / ".riskgraph.yaml"))
    (repo / ".riskgraph.yaml").write_text("severity_threshold: urgent\n")
    with pytest.raises(ConfigError, match="'urgent' is not one of"):
        load_config(str(repo / ".riskgraph.yaml"))


def test_undeclared_policy_parameter_is_a_usage_error(repo, capsys):
    (repo / ".riskgraph.yaml").write_text("parameters:\n  RG-AWS-001: {ports: [1]}\n")
    code, _, err = _scan(capsys, "shop")
    assert code == 2 and "undeclared parameters" in err


def test_paths_are_relative_to_the_file(repo):
    (repo / "conf").mkdir()
    (repo / "conf" / ".riskgraph.yaml").write_text(
        "policy_dirs: [../policies]\nvar_files: [prod.tfvars]\nbaseline: ../b.json\n")
    cfg = load_config(str(repo / "conf" / ".riskgraph.yaml"))
    assert cfg.policy_dirs == (str(repo / "policies"),)
    assert cfg.var_files == (str(repo / "conf" / "prod.tfvars"),)
    assert cfg.baseline == str(repo / "b.json")
