# moto's server (moto[server], the pinned version in the test environment's virtualenv),
# started with three additions: a control path that publishes an AWS public SSM parameter,
# the launch template's security groups on spot instances that CreateFleet launches, and
# On-Demand Capacity Reservations (which moto 5.2 does not serve at all; see the end).
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


# On-Demand Capacity Reservations. moto 5.2.5 serves none of CreateCapacityReservation,
# DescribeCapacityReservations or CancelCapacityReservation, and its CreateFleet ignores a
# launch template's CapacityReservationSpecification. Added here, minimally, in EC2's shapes:
# - CreateCapacityReservation (InstanceType, InstancePlatform, AvailabilityZone,
#   InstanceCount, EndDate/EndDateType, InstanceMatchCriteria, Tenancy, TagSpecifications of
#   type capacity-reservation): an active "default" reservation owned by the caller's account;
# - DescribeCapacityReservations by CapacityReservationIds (an unknown id is EC2's
#   InvalidCapacityReservationId.NotFound) and the filters state, owner-id, instance-type,
#   availability-zone, instance-match-criteria, tag:<key>, tag-key; an expired end date reads
#   as state "expired"; AvailableInstanceCount is the total minus the live instances in it;
# - CancelCapacityReservation (state "cancelled");
# - CreateFleet (on-demand part): an override whose launch template targets a reservation
#   (CapacityReservationSpecification.CapacityReservationTarget.CapacityReservationId)
#   launches only into it, when it is active and of the override's instance type and zone
#   and has room; otherwise the override fails with ReservationCapacityExceeded (EC2's code),
#   reported in the response's Errors, and the next override is tried. The instance carries
#   CapacityReservationId and CapacityReservationSpecification in DescribeInstances.
# Not modelled: capacity blocks, open reservations absorbing untargeted launches, resource
# groups as targets, reservations shared across accounts.
import datetime as _dt

from moto.core.responses import ActionResult
from moto.ec2.exceptions import EC2ClientError
from moto.ec2.models.fleets import Fleet
from moto.ec2.responses import EC2Response

_capacity_reservations = {}  # (account, region) -> {id: _CapacityReservation}


class _CapacityReservation:
    def __init__(self, backend, rid, params, tags):
        now = utcnow()
        self.backend = backend
        self.capacity_reservation_id = rid
        self.owner_id = backend.account_id
        self.capacity_reservation_arn = f"arn:aws:ec2:{backend.region_name}:{backend.account_id}:capacity-reservation/{rid}"
        self.instance_type = params["InstanceType"]
        self.instance_platform = params.get("InstancePlatform") or "Linux/UNIX"
        self.availability_zone = params["AvailabilityZone"]
        self.tenancy = params.get("Tenancy") or "default"
        self.total_instance_count = int(params["InstanceCount"])
        self.instance_match_criteria = params.get("InstanceMatchCriteria") or "open"
        self.end_date_type = params.get("EndDateType") or "unlimited"
        end = params.get("EndDate")
        self.end_date = _dt.datetime.fromisoformat(end.replace("Z", "+00:00")).replace(tzinfo=None) if isinstance(end, str) else end
        self.start_date = now
        self.create_date = now
        self.reservation_type = "default"
        self.cancelled = False
        self.tags = [{"Key": k, "Value": v} for k, v in tags.items()]

    @property
    def state(self):
        if self.cancelled:
            return "cancelled"
        if self.end_date is not None and self.end_date <= utcnow():
            return "expired"
        return "active"

    @property
    def available_instance_count(self):
        used = sum(
            1
            for i in self.backend.all_instances()
            if getattr(i, "capacity_reservation_id", None) == self.capacity_reservation_id and i.state not in ("terminated", "shutting-down")
        )
        return max(0, self.total_instance_count - used) if self.state == "active" else 0

    def matches(self, filters):
        tags = {t["Key"]: t["Value"] for t in self.tags}
        for name, values in filters.items():
            if name == "state" and self.state not in values:
                return False
            if name == "owner-id" and self.owner_id not in values:
                return False
            if name == "instance-type" and self.instance_type not in values:
                return False
            if name == "availability-zone" and self.availability_zone not in values:
                return False
            if name == "instance-match-criteria" and self.instance_match_criteria not in values:
                return False
            if name == "tag-key" and not any(k in tags for k in values):
                return False
            if name.startswith("tag:") and tags.get(name[4:]) not in values:
                return False
        return True


def _reservations_of(backend):
    return _capacity_reservations.setdefault((backend.account_id, backend.region_name), {})


def _create_capacity_reservation(self):
    self.error_on_dryrun()
    params = {k: self._get_param(k) for k in ("InstanceType", "InstancePlatform", "AvailabilityZone", "InstanceCount", "EndDate", "EndDateType", "InstanceMatchCriteria", "Tenancy")}
    if not params["InstanceType"] or not params["AvailabilityZone"] or not params["InstanceCount"]:
        raise EC2ClientError("MissingParameter", "InstanceType, AvailabilityZone and InstanceCount are required")
    rid = "cr-" + random_id_hex(17)
    reservation = _CapacityReservation(self.ec2_backend, rid, params, self._parse_tag_specification().get("capacity-reservation", {}))
    _reservations_of(self.ec2_backend)[rid] = reservation
    return ActionResult({"CapacityReservation": reservation})


def _describe_capacity_reservations(self):
    store = _reservations_of(self.ec2_backend)
    ids = self._get_param("CapacityReservationIds", [])
    for rid in ids:
        if rid not in store:
            raise EC2ClientError("InvalidCapacityReservationId.NotFound", f"The capacity reservation ID '{rid}' does not exist")
    found = [store[i] for i in ids] if ids else list(store.values())
    filters = self._filters_from_querystring()
    return ActionResult({"CapacityReservations": [r for r in found if r.matches(filters)]})


def _cancel_capacity_reservation(self):
    rid = self._get_param("CapacityReservationId")
    reservation = _reservations_of(self.ec2_backend).get(rid)
    if reservation is None:
        raise EC2ClientError("InvalidCapacityReservationId.NotFound", f"The capacity reservation ID '{rid}' does not exist")
    reservation.cancelled = True
    return ActionResult({"Return": True})


def random_id_hex(n):
    import secrets

    return secrets.token_hex(n)[:n]


EC2Response.create_capacity_reservation = _create_capacity_reservation
EC2Response.describe_capacity_reservations = _describe_capacity_reservations
EC2Response.cancel_capacity_reservation = _cancel_capacity_reservation


def _reservation_target(backend, launch_spec):
    spec = launch_spec.launch_template_spec or {}
    if "LaunchTemplateId" not in spec:
        return None
    template = backend.get_launch_template(spec["LaunchTemplateId"])
    data = template.get_version(spec.get("Version", template.default_version_number)).data
    crs = data.get("CapacityReservationSpecification") or {}
    return (crs.get("CapacityReservationTarget") or {}).get("CapacityReservationId")


_fleet_on_demand = Fleet.create_on_demand_requests


def _fleet_on_demand_with_reservations(self, weight_to_add):
    targets = [(spec, _reservation_target(self.ec2_backend, spec)) for spec in self.launch_specs]
    if not any(rid for _, rid in targets):
        return _fleet_on_demand(self, weight_to_add)
    store = _reservations_of(self.ec2_backend)
    self.reservation_errors = []
    all_specs = self.launch_specs
    for spec, rid in targets:
        reservation = store.get(rid) if rid else None
        zone = self.ec2_backend.get_subnet(spec.subnet_id).availability_zone if spec.subnet_id else None
        if rid and (reservation is None or reservation.instance_type != spec.instance_type or reservation.availability_zone != zone or reservation.available_instance_count < 1):
            code = "InvalidCapacityReservationId.NotFound" if reservation is None else "ReservationCapacityExceeded"
            self.reservation_errors.append(
                {
                    "LaunchTemplateAndOverrides": {"LaunchTemplateSpecification": spec.launch_template_spec, "Overrides": spec.overrides},
                    "Lifecycle": "on-demand",
                    "ErrorCode": code,
                    "ErrorMessage": f"Insufficient capacity in capacity reservation {rid}" if reservation else f"The capacity reservation ID '{rid}' does not exist",
                }
            )
            continue
        before = len(self.on_demand_instances)
        self.launch_specs = [spec]
        try:
            _fleet_on_demand(self, weight_to_add)
        finally:
            self.launch_specs = all_specs
        for item in self.on_demand_instances[before:]:
            if rid:
                item["instance"].capacity_reservation_id = rid
                item["instance"].capacity_reservation_specification = {
                    "CapacityReservationPreference": "capacity-reservations-only",
                    "CapacityReservationTarget": {"CapacityReservationId": rid},
                }
        return None
    return None


Fleet.create_on_demand_requests = _fleet_on_demand_with_reservations

_fleets_create = EC2Response.create_fleet


def _create_fleet_with_reservation_errors(self):
    out = _fleets_create(self)
    fleet = self.ec2_backend.fleets.get(out.result["FleetId"])
    errors = getattr(fleet, "reservation_errors", None)
    if errors:
        out.result["Errors"] = errors
    return out


EC2Response.create_fleet = _create_fleet_with_reservation_errors

if __name__ == "__main__":
    sys.exit(main())
