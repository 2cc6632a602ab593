# moto's server (moto[server], the pinned version in the test environment's virtualenv),
# started with two additions: a control path that publishes an AWS public SSM parameter, and
# the launch template's security groups on spot instances that CreateFleet launches.
#
# AWS publishes the EKS-optimized AMI ids under /aws/service/... (read-only to every
# account); moto serves GetParameter for such names but, like AWS, refuses PutParameter on
# them, and ships none of the EKS paths. The test environment's seed (ec2-seed.ts) posts
# the parameters here, which stores them in moto's own SSM backend exactly as moto stores
# the public parameters it ships (ami-amazon-linux-latest, ecs/optimized-ami): every SSM
# call the reconciler makes is answered by moto's SSM implementation, unchanged.
#
#   POST /moto-api/joinery/public-parameter  {"name": "/aws/service/...", "value": "ami-...",
#                                             "region": "us-east-1", "account": "123456789012"}
# A name under /aws/service/ only; posting a name again publishes a new version.

import inspect
import json
import sys

from moto.core.utils import utcnow
from moto.moto_api._internal import urls as moto_api_urls
from moto.ec2.models.spot_requests import SpotInstanceRequest
from moto.server import main
from moto.ssm.models import Parameter, ssm_backends

PUBLIC_PREFIX = "/aws/service/"


def publish_public_parameter(request, full_url, headers):
    try:
        body = json.loads(request.data or b"{}")
        name, value = body["name"], body["value"]
    except (ValueError, KeyError) as err:
        return 400, {"Content-Type": "application/json"}, json.dumps({"error": f"expected JSON with name and value: {err}"})
    if not isinstance(name, str) or not name.startswith(PUBLIC_PREFIX) or not isinstance(value, str) or not value:
        return 400, {"Content-Type": "application/json"}, json.dumps({"error": f"name must start with {PUBLIC_PREFIX} and value be non-empty"})
    backend = ssm_backends[body.get("account", "123456789012")][body.get("region", "us-east-1")]
    versions = backend._parameters[name]
    versions.append(
        Parameter(
            account_id=backend.account_id,
            name=name,
            value=value,
            parameter_type="String",
            description=None,
            allowed_pattern=None,
            keyid=None,
            last_modified_date=utcnow(),
            version=len(versions) + 1,
            data_type="text",
        )
    )
    return 200, {"Content-Type": "application/json"}, json.dumps({"name": name, "version": len(versions)})


moto_api_urls.url_paths["{0}/moto-api/joinery/public-parameter"] = publish_public_parameter


# A spot instance CreateFleet launches from a launch template gets the template's security
# groups on EC2. moto (5.x) reads them from a "GroupSet" key the template data never holds,
# so its spot requests fall back to the default VPC's "default" group, and every spot node
# would look drifted (SecurityGroupDrift) to a reconciler that compares them, as Karpenter
# does. Only that fallback is corrected: groups given explicitly are kept as they are.
_spot_request_init = SpotInstanceRequest.__init__


def _spot_request_init_with_template_groups(self, *args, **kwargs):
    call = _spot_request_signature.bind(self, *args, **kwargs)
    template_spec = getattr(call.arguments.get("launch_spec"), "launch_template_spec", None)
    if template_spec and not call.arguments["security_groups"]:
        template = call.arguments["ec2_backend"].get_launch_template(template_spec["LaunchTemplateId"])
        data = template.get_version(template_spec.get("Version", template.default_version_number)).data
        call.arguments["security_groups"] = list(data.get("SecurityGroupIds") or [])
    _spot_request_init(*call.args, **call.kwargs)


_spot_request_signature = inspect.signature(_spot_request_init)
SpotInstanceRequest.__init__ = _spot_request_init_with_template_groups

if __name__ == "__main__":
    sys.exit(main())
