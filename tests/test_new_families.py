"""Behaviour of the issue-15 families beyond their fixtures: parameters, several offending statements."""

from __future__ import annotations

import os
import shutil

from scanner.api import scan

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures")


def _copy(tmp_path, policy: str) -> str:
    root = os.path.join(str(tmp_path), "root")
    shutil.copytree(os.path.join(FIXTURES, policy, "fail"), root)
    return root


def test_trusted_principals_exempts_your_own_accounts(tmp_path):
    root = _copy(tmp_path, "RG-AWS-097")
    report = scan([root], only=["RG-AWS-097"], base=root,
                  parameters={"RG-AWS-097": {"trusted_principals": ["arn:aws:iam::111122223333:root"]}})
    assert [(f.resource, f.location.start_line) for f in report.findings] == [("aws_iam_role.audit", 25)]


RANGES = {
    "RG-AWS-001": ("admin_ports", """
resource "aws_security_group" "web" {
  name = "web"
  ingress {
    from_port   = 44
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
""", "aws_security_group.web", 8),
    "RG-AZ-025": ("database_ports", """
resource "azurerm_network_security_rule" "web" {
  name                        = "web"
  priority                    = 100
  direction                   = "Inbound"
  access                      = "Allow"
  protocol                    = "TCP"
  source_port_range           = "*"
  destination_port_range      = "44-443"
  source_address_prefix       = "Internet"
  destination_address_prefix  = "*"
  resource_group_name         = "rg"
  network_security_group_name = "nsg"
}
""", "azurerm_network_security_rule.web", 10),
    "RG-GCP-031": ("database_ports", """
resource "google_compute_firewall" "web" {
  name          = "web"
  network       = "default"
  source_ranges = ["0.0.0.0/0"]
  allow {
    protocol = "tcp"
    ports    = ["44-443"]
  }
}
""", "google_compute_firewall.web", 8),
}


def test_a_port_a_policy_names_is_found_inside_a_range(tmp_path):
    """Port 80 where the configuration says so, open through the range 44-443, on each cloud."""
    for policy, (parameter, text, address, line) in RANGES.items():
        root = os.path.join(str(tmp_path), policy)
        os.makedirs(root)
        with open(os.path.join(root, "main.tf"), "w", encoding="utf-8") as handle:
            handle.write(text)
        assert scan([root], only=[policy], base=root).findings == (), policy
        report = scan([root], only=[policy], base=root, parameters={policy: {parameter: [80]}})
        assert [(f.resource, f.location.start_line) for f in report.findings] == [(address, line)], policy
