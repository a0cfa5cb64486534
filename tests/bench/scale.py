"""Scale inputs: one ``.tf`` file of 100,000 small resources (3.6 MB), and one with a 4 MB string literal."""

from __future__ import annotations

import os


def many_text(count: int = 100_000) -> str:
    """``count`` resources, ~36 bytes each: mostly empty S3 buckets; every 10th a security group with an ingress block, every 5th a bucket with an attribute."""
    parts = []
    for i in range(count):
        if i % 10 == 9:
            parts.append(f'resource "aws_security_group" "g{i}" {{\ningress {{\ncidr_blocks=["0.0.0.0/0"]\n}}\n}}\n')
        elif i % 5 == 0:
            parts.append(f'resource "aws_s3_bucket" "b{i}" {{\nacl="x"\n}}\n')
        else:
            parts.append(f'resource "aws_s3_bucket" "b{i}" {{}}\n')
    return "".join(parts)


def literal_text(size: int = 4 * 1024 * 1024) -> str:
    """One resource whose ``content`` is a ``size``-character string literal."""
    return (f'resource "aws_s3_object" "big" {{\n  bucket  = "b"\n  key     = "k"\n'
            f'  content = "{"a" * size}"\n}}\n')


def write(path: str, text: str) -> str:
    """Write ``text`` to ``path`` (its directory created) and return ``path``."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)
    return path


if __name__ == "__main__":
    import sys

    root = sys.argv[1] if len(sys.argv) > 1 else "scale-inputs"
    print(write(os.path.join(root, "many", "main.tf"), many_text()))
    print(write(os.path.join(root, "literal", "main.tf"), literal_text()))
