"""Request id and audit context for every request."""

from __future__ import annotations

import logging
import uuid

from auditlog.middleware import AuditlogMiddleware
from django.utils.functional import SimpleLazyObject

log = logging.getLogger("firegov.request")


class RequestIdMiddleware:
    """Give every request an id, returned as X-Request-ID and stored with each audit record.

    The id stored with audit records also names the method and path, so the history of an object
    says which request made each change. Any id sent by the client is ignored.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = uuid.uuid4().hex[:16]
        request.request_id = request_id
        request.META["HTTP_X_REQUEST_ID"] = f"{request_id} {request.method} {request.path}"[:255]
        response = self.get_response(request)
        response["X-Request-ID"] = request_id
        return response


class AuditMiddleware(AuditlogMiddleware):
    """django-auditlog's middleware, with the actor resolved when the change is saved.

    API requests authenticate inside the view (token auth), after the middleware ran; resolving
    ``request.user`` lazily records the API user as the actor too.
    """

    @staticmethod
    def _get_actor(request):
        def resolve():
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                return user._wrapped if hasattr(user, "_wrapped") else user
            return None

        return SimpleLazyObject(resolve)
