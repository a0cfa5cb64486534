"""Terraform and OpenTofu source (HCL, JSON syntax) and variable files.

Its resource types are the providers' own (``aws_s3_bucket``, with the
provider schema's attribute names): that is the cloud vocabulary every cloud
linker and policy reads, and a second format for the same cloud normalises
into it (docs/design.md). The parser is :mod:`.parser`.
"""

from __future__ import annotations

from .. import Format
from ...model import Layer

SOURCE_SUFFIXES = (".tf", ".tf.json", ".tofu", ".tofu.json")
VARS_SUFFIXES = (".tfvars", ".tfvars.json")

FORMATS = (
    Format("terraform", Layer.TERRAFORM, "scanner.formats.terraform.parser", suffixes=SOURCE_SUFFIXES,
           per_directory=True,
           # parsed files are cached as their AST; a root module's resources hold evaluated values
           memo_modules=("scanner.formats.terraform.syntax", "scanner.formats.terraform.expressions",
                         "scanner.formats.terraform.values", "scanner.formats.terraform.functions")),
    # variable files are handed to the Terraform parser with the sources they set
    Format("tfvars", Layer.TERRAFORM, "scanner.formats.terraform.parser", suffixes=VARS_SUFFIXES,
           per_directory=True),
)
