"""``GET /api/monitoring/health``: 200 when healthy, 503 with the same report otherwise;
``GET /api/monitoring/consistency``: database against index, streamed."""

from flask import Blueprint, Response, jsonify, stream_with_context

from ..rest import identity
from . import service

blueprint = Blueprint("monitoring", __name__)


@blueprint.get("/api/monitoring/health")
def health():
    report, healthy = service.health(identity())
    return jsonify(report), 200 if healthy else 503


@blueprint.get("/api/monitoring/consistency")
def consistency():
    chunks = service.consistency_stream(identity())
    return Response(stream_with_context(chunks), mimetype="application/json")
