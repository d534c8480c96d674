"""What the user writes, read and checked: stack files -> one validated `Settings`.

No Pulumi resource is imported here (tests/test_layout.py holds that): the components never
import this package, and this package uses only the pure helpers of `components/`.
"""
