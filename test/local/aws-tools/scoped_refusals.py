"""What a session of the scoped role may not do, whatever its session policy says, asked with boto3.

With the keys `npm start` prints: assumes the scoped role with a session policy that allows
kinesisvideo:* on *, then
- calls DescribeSignalingChannel (which the scoped role does not grant) and reports the error as
  botocore parses it (code, HTTP status, e.response["Message"]);
- presigns a ConnectAsMaster URL for the channel's master endpoint as the KVS SDKs do (SigV4 query
  signing, 300 s) and prints it, for the caller to open (boto3 has no WebSocket client), with a
  ConnectAsViewer URL signed the same way, which the role grants: it shows the signing is right.

Usage: python3 scoped_refusals.py <scoped role ARN> <channel name>
"""

import json
import sys

import boto3
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import ClientError

EVERYTHING_KVS = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "kinesisvideo:*", "Resource": "*"}],
}


def main(role_arn: str, channel_name: str) -> None:
    channel_arn = boto3.client("kinesisvideo").describe_signaling_channel(ChannelName=channel_name)[
        "ChannelInfo"
    ]["ChannelARN"]
    credentials = boto3.client("sts").assume_role(
        RoleArn=role_arn, RoleSessionName="broad-session", Policy=json.dumps(EVERYTHING_KVS)
    )["Credentials"]
    scoped = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
    kvs = scoped.client("kinesisvideo")

    try:
        kvs.describe_signaling_channel(ChannelARN=channel_arn)
        describe = {"allowed": True}
    except ClientError as error:
        describe = {
            "code": error.response["Error"]["Code"],
            "status": error.response["ResponseMetadata"]["HTTPStatusCode"],
            "Message": error.response.get("Message"),
        }

    signer = SigV4QueryAuth(
        scoped.get_credentials().get_frozen_credentials(), "kinesisvideo", kvs.meta.region_name, expires=300
    )

    def presigned(role: str, params: dict) -> str:
        endpoints = kvs.get_signaling_channel_endpoint(
            ChannelARN=channel_arn,
            SingleMasterChannelEndpointConfiguration={"Protocols": ["WSS"], "Role": role},
        )["ResourceEndpointList"]
        wss = next(e["ResourceEndpoint"] for e in endpoints if e["Protocol"] == "WSS")
        # SigV4 signs the host, path and query alone: sign the https:// form, hand out the wss:// one.
        scheme, rest = wss.split("://", 1)
        request = AWSRequest(method="GET", url=f"https://{rest}/", params={"X-Amz-ChannelARN": channel_arn, **params})
        signer.add_auth(request)
        return f"{scheme}://" + request.prepare().url.split("://", 1)[1]

    print(
        json.dumps(
            {
                "describe": describe,
                "connectAsMasterUrl": presigned("MASTER", {}),
                "connectAsViewerUrl": presigned("VIEWER", {"X-Amz-ClientId": "broad-viewer"}),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
