from django.conf import settings

from firegov.core.models import Notification


def firegov_context(request):
    user = getattr(request, "user", None)
    unread = 0
    if user is not None and user.is_authenticated:
        unread = Notification.objects.filter(recipient=user, read_at__isnull=True).count()
    return {
        "unread_notifications": unread,
        "map_tile_url": settings.FIREGOV["MAP_TILE_URL"],
        "map_attribution": settings.FIREGOV["MAP_ATTRIBUTION"],
    }
