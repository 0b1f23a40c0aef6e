import pulumi
from echo import Echo

message = pulumi.Config().get("message") or "hello"
pulumi.export("message", Echo("greeting", message).message)
