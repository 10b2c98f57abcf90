"""``GET /api/monitoring/health``: 200 when healthy, 503 with the same report otherwise."""

from flask import Blueprint, jsonify

from ..rest import identity
from . import service

blueprint = Blueprint("monitoring", __name__)


@blueprint.get("/api/monitoring/health")
def health():
    report, healthy = service.health(identity())
    return jsonify(report), 200 if healthy else 503
