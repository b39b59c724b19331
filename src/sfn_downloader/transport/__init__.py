"""Transport: how the state machine reaches the third party.

* ``Transport.api_gateway()`` (default): the article's way, ``apigateway:invoke`` through an
  IAM-authorized API Gateway REST API that proxies to the endpoint (``api_gateway.py``).
* ``Transport.http_task(connection)``: the Step Functions HTTP Task (``http:invoke``) with an
  EventBridge connection holding the credentials (API key, Basic or OAuth, in Secrets Manager).
  No API Gateway at all (``http_task.py``).

``trim.py``: ``Trim``, the API Gateway transport's option to trim each answer at the proxy
(a non-proxy HTTP integration with a mapping template), for answers over 256 KiB.

A new transport is one module: a ``Transport`` subclass (checks, ``bind``) and its
``BoundTransport`` (tasks, grants), marked ``@register``, its import here, and a static
factory on ``Transport`` that names its ``kind``.
"""

from __future__ import annotations

# The transports register themselves with the factories (one line each: the registration).
from . import api_gateway as api_gateway
from . import http_task as http_task
from ._base import BoundTransport, Transport

__all__ = ["BoundTransport", "Transport"]
