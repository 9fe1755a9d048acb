"""Charts for the chat: each takes plain data (core.analytics.model) and returns PNG bytes."""

from core.analytics.charts.digest import digest_chart
from core.analytics.charts.retention import retention_chart
from core.analytics.charts.style import SIZE_PX
from core.analytics.charts.top import top_chart
from core.analytics.charts.views import views_chart

__all__ = ["SIZE_PX", "digest_chart", "retention_chart", "top_chart", "views_chart"]
