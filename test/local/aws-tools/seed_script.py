"""The seed user's script, as its document shapes it: ICE servers for a KVS signaling channel.

It reads the AWS configuration from the environment as every AWS tool does (the line `npm start`
prints: the developer's keys, AWS_ENDPOINT_URL, the Region), finds the channel's ARN, assumes the
scoped role the broker's function assumes, asks for the channel's HTTPS signaling endpoint, asks that
endpoint for the ICE servers and prints them as RTCIceServer objects (JSON on stdout).

Usage: python3 seed_script.py <scoped role ARN> <channel name>
"""

import json
import sys

import boto3


def main(role_arn: str, channel_name: str) -> None:
    # What a script calls first: the channel's ARN, with the user's own credentials.
    control = boto3.client("kinesisvideo")
    channel = control.describe_signaling_channel(ChannelName=channel_name)["ChannelInfo"]
    channel_arn = channel["ChannelARN"]

    credentials = boto3.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="seed-script")[
        "Credentials"
    ]
    scoped = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )

    endpoints = scoped.client("kinesisvideo").get_signaling_channel_endpoint(
        ChannelARN=channel_arn,
        SingleMasterChannelEndpointConfiguration={"Protocols": ["HTTPS"], "Role": "VIEWER"},
    )["ResourceEndpointList"]
    https = next(e["ResourceEndpoint"] for e in endpoints if e["Protocol"] == "HTTPS")

    # GetIceServerConfig goes to the channel's own endpoint, never to the control plane.
    signaling = scoped.client("kinesis-video-signaling", endpoint_url=https)
    servers = signaling.get_ice_server_config(ChannelARN=channel_arn, ClientId="seed-script", Service="TURN")[
        "IceServerList"
    ]
    ice_servers = [{"urls": s["Uris"], "username": s["Username"], "credential": s["Password"]} for s in servers]
    print(json.dumps({"channelArn": channel_arn, "httpsEndpoint": https, "iceServers": ice_servers}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
