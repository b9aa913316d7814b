"""The AWS boundary: the only package that imports boto3/botocore.

Owns the client factory (region, credentials, retries, endpoint), the one error-translation step that
turns botocore exceptions into infragate's error tree, and the embedded AWS emulator daemon. Nothing
outside this package sees a botocore exception.
"""

from infragate.aws.clients import AwsConnection, AwsTargetSpec
from infragate.aws.embedded import EmbeddedAws, EmbeddedStatus

__all__ = ["AwsConnection", "AwsTargetSpec", "EmbeddedAws", "EmbeddedStatus"]
