"""``POST /api/agora/v1/billing/webhook``: Stripe's deliveries (not a client endpoint).

Plain Django, outside DRF: no authentication, no rate limit (Stripe sends bursts), no
CSRF (it is signed instead). The signature is checked before anything is stored;
the event is processed by a worker, so the answer comes at once.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.billing import services
from apps.billing.metrics import webhook_deliveries_total
from core import errors


@csrf_exempt
@require_POST
def stripe_webhook(request: HttpRequest) -> JsonResponse:
    try:
        event, first = services.event_receive(
            payload=request.body, signature=request.headers.get("Stripe-Signature")
        )
    except errors.PlatformError as error:
        webhook_deliveries_total.labels(result=error.code or "refused").inc()
        return JsonResponse({"error": error.message}, status=error.status)
    webhook_deliveries_total.labels(result="accepted" if first else "duplicate").inc()
    return JsonResponse({"received": event.stripe_id, "duplicate": not first})
